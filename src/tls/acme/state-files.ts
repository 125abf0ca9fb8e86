// ACME_STATE_DIR: account.key, cert.pem, key.pem and state.json. Every write is temp file +
// fsync + rename (+ fsync of the folder), so a crash or a full disk leaves the old file whole.
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export const ACCOUNT_KEY = 'account.key';
export const CERT_FILE = 'cert.pem';
export const KEY_FILE = 'key.pem';
export const STATE_FILE = 'state.json';

/** What state.json remembers across restarts, so a crash loop does not hammer the CA. */
export interface AcmeState {
  last_attempt_at?: string;
  last_renewal_at?: string;
  last_error?: string;
  last_error_at?: string;
  /** Consecutive failed attempts since the last success. */
  failures?: number;
}

export class StateDirError extends Error {}

function describe(dir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM')
    return `${dir}: not writable by uid ${process.getuid?.() ?? '?'} (ACME_STATE_DIR must be a writable folder; the installer mounts /srv/ai-proxy/acme there)`;
  if (code === 'EROFS') return `${dir}: read-only file system (mount a writable folder at ACME_STATE_DIR)`;
  return `${dir}: ${code ?? (error as Error).message} (ACME_STATE_DIR must be a writable folder)`;
}

/** Creates the folder if needed and proves it writable now, not at the first order minutes later. */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o770 });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new StateDirError(describe(dir, error));
  }
}

/** Writes `name` in `dir` atomically with `mode` (0600 keys, 0640 certificate, 0640 state). */
export function writeAtomic(dir: string, name: string, data: string, mode: number): void {
  const final = join(dir, name);
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    rmSync(temp, { force: true });
    const fd = openSync(temp, 'wx', mode);
    try {
      fchmodSync(fd, mode);
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, final);
    // The rename is durable only once the folder itself is on disk.
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch (error) {
    rmSync(temp, { force: true });
    throw new StateDirError(describe(dir, error));
  }
}

export function readOptional(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateDirError(describe(join(dir, name), error));
  }
}

export function readState(dir: string): AcmeState {
  const text = readOptional(dir, STATE_FILE);
  if (!text) return {};
  try {
    return JSON.parse(text) as AcmeState;
  } catch {
    // A damaged state file only costs the backoff memory: start afresh.
    return {};
  }
}

export function writeState(dir: string, state: AcmeState): void {
  writeAtomic(dir, STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, 0o640);
}
