// The drain settings at the moment SIGTERM arrives, layered as at the start (the environment,
// then secret files, then `.env`) but read again, so that a limit written since the start
// applies to the drain about to happen (an operator, or a deployment tool, may change it just
// before it asks the proxy to drain). Settings that no longer read or validate keep the ones the
// proxy started with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DrainEnv, validateDrainEnv } from './drain-env.ts';
import { parseEnv } from './env.ts';
import { ENV_FILE } from '../contract/container.ts';
import { layerVars, readSecretFiles, resolveSecretsDir } from './secrets.ts';

export function drainSettingsNow(
  dir: string,
  started: DrainEnv,
  env: Record<string, string | undefined> = process.env,
): { drain: DrainEnv; problem?: string } {
  try {
    let text = '';
    try {
      text = readFileSync(join(dir, ENV_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const { vars } = layerVars(parseEnv(text, ENV_FILE), readSecretFiles(resolveSecretsDir(env)).vars, env);
    return { drain: validateDrainEnv(vars) };
  } catch (error) {
    return { drain: started, problem: `${ENV_FILE}: ${(error as Error).message}` };
  }
}
