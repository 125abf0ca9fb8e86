// What is installed in the config folder, read the way the proxy reads it (src/config/env.ts):
// the defaults a re-run keeps (the port, the HTTPS settings) come from here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from '../../src/config/env.ts';
import { ENV_FILE } from '../../src/contract/container.ts';
import { parsePort } from '../command/port-input.ts';

/** The installed .env's text, or undefined when there is none (or it cannot be read). */
export function installedEnvText(configDir: string): string | undefined {
  try {
    return readFileSync(join(configDir, ENV_FILE), 'utf8');
  } catch {
    return undefined;
  }
}

/** The installed PORT, when a valid .env sets one (the default for the port question). */
export function installedPort(configDir: string): number | undefined {
  const text = installedEnvText(configDir);
  if (text === undefined) return undefined;
  try {
    const parsed = parsePort(parseEnv(text).PORT ?? '');
    return parsed.ok ? parsed.port : undefined;
  } catch {
    return undefined;
  }
}
