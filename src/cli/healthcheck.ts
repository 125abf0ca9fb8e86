// `ai-proxy healthcheck`: Docker's HEALTHCHECK (the image has no shell or curl). Runs every few
// seconds, so it imports only node:http, node:fs and the dependency-free .env parser.
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-error.ts';
import { DEFAULT_PORT, parseEnv } from '../config/env.ts';
import { resolveConfigDir } from '../config/dir.ts';
import { parseFlags } from './args.ts';

const TIMEOUT_MS = 3000;

function portFromConfig(dir: string): number {
  if (process.env.PORT) return Number(process.env.PORT);
  try {
    const vars = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
    if (vars.PORT) return Number(vars.PORT);
  } catch {
    // No readable .env: the server uses the default port too.
  }
  return DEFAULT_PORT;
}

export async function healthcheckCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, ['port', 'config-dir'], 'healthcheck');
  const port = flags.port !== undefined ? Number(flags.port) : portFromConfig(resolveConfigDir(flags['config-dir']));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ExitError(2, `healthcheck: invalid port "${flags.port ?? port}"`);
  const status = await new Promise<number | string>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health/live', method: 'GET', timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(`no answer within ${TIMEOUT_MS / 1000} s`);
    });
    req.on('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message));
    req.end();
  });
  if (status !== 200) throw new ExitError(1, `healthcheck: http://127.0.0.1:${port}/health/live: ${typeof status === 'number' ? `HTTP ${status}` : status}`);
  process.stdout.write('ok\n');
}
