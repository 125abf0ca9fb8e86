// `ai-proxy healthcheck`: Docker's HEALTHCHECK (the image has no shell or curl). Runs every few
// seconds, so it imports only node:http, node:fs, the dependency-free .env parser, the contract's
// constants and the shared network's socket name (node:https only when PORT serves TLS and there
// is no plain HTTP_PORT to ask instead).
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-error.ts';
import { parseEnv } from '../config/env.ts';
import { ENV_FILE } from '../contract/container.ts';
import { DEFAULT_PORT } from '../contract/variables.ts';
import { resolveConfigDir } from '../config/dir.ts';
import { parseFlags } from './args.ts';
import { instanceSocketPath, sharedNetwork } from '../http/shared-network.ts';

const TIMEOUT_MS = 3000;

/** The .env variables with the environment on top; an unreadable .env counts as empty. */
function readVars(dir: string): Record<string, string | undefined> {
  let vars: Record<string, string> = {};
  try {
    vars = parseEnv(readFileSync(join(dir, ENV_FILE), 'utf8'));
  } catch {
    // No readable .env: the server uses the defaults too.
  }
  return { ...vars, ...process.env };
}

export interface ProbeTarget {
  url: string;
  /** https: loopback, so the certificate (issued for a public name) is not verified. */
  tls: boolean;
  /** ask this proxy's own socket instead of the port (a shared network: shared-network.ts) */
  socketPath?: string;
}

/**
 * Where the probe goes: with TLS on, the plain HTTP_PORT listener (it answers the health paths to
 * loopback) when there is one, else HTTPS on PORT; without TLS, plain HTTP on PORT. `path` is
 * /health/live (the process answers: the single container's check, which must not restart a proxy
 * whose providers are down) or /health/ready (it would be sent traffic: a Swarm task's check, so
 * that a rolling update moves on only from a task a load balancer would use).
 */
export function probeTarget(
  vars: Record<string, string | undefined>,
  portFlag: number | undefined,
  path: HealthPath = '/health/live',
): ProbeTarget {
  const tlsOn = Boolean(vars.TLS_CERT_FILE?.trim() || vars.ACME_DOMAIN?.trim());
  const httpPort = vars.HTTP_PORT?.trim() ? Number(vars.HTTP_PORT) : undefined;
  if (tlsOn && httpPort !== undefined) return { url: `http://127.0.0.1:${httpPort}${path}`, tls: false };
  const port = portFlag ?? (vars.PORT?.trim() ? Number(vars.PORT) : DEFAULT_PORT);
  return { url: `${tlsOn ? 'https' : 'http'}://127.0.0.1:${port}${path}`, tls: tlsOn };
}

export type HealthPath = '/health/live' | '/health/ready';

async function get(target: ProbeTarget): Promise<number | string> {
  const send = target.tls ? (await import('node:https')).request : request;
  return new Promise((resolve) => {
    const req = send(
      target.url,
      {
        method: 'GET',
        timeout: TIMEOUT_MS,
        ...(target.tls ? { rejectUnauthorized: false } : {}),
        ...(target.socketPath ? { socketPath: target.socketPath } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve(`no answer within ${TIMEOUT_MS / 1000} s`);
    });
    req.on('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message));
    req.end();
  });
}

export async function healthcheckCommand(argv: string[]): Promise<void> {
  // --ready takes no value; parseFlags knows only options with one
  const path: HealthPath = argv.includes('--ready') ? '/health/ready' : '/health/live';
  const flags = parseFlags(
    argv.filter((a) => a !== '--ready'),
    ['port', 'config-dir'],
    'healthcheck',
  );
  const portFlag = flags.port !== undefined ? Number(flags.port) : undefined;
  if (portFlag !== undefined && (!Number.isInteger(portFlag) || portFlag < 1 || portFlag > 65535))
    throw new ExitError(2, `healthcheck: invalid port "${flags.port}"`);
  // in a shared network the port may answer for another proxy: ask this one's own socket
  const target: ProbeTarget = sharedNetwork(process.env)
    ? { url: `http://localhost${path}`, tls: false, socketPath: instanceSocketPath() }
    : probeTarget(readVars(resolveConfigDir(flags['config-dir'])), portFlag, path);
  const port = Number(new URL(target.url).port || 80);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ExitError(2, `healthcheck: invalid port in ${target.url}`);
  const status = await get(target);
  if (status !== 200)
    throw new ExitError(
      1,
      `healthcheck: ${target.socketPath ? 'this instance' : target.url}: ${typeof status === 'number' ? `HTTP ${status}` : status}`,
    );
  process.stdout.write('ok\n');
}
