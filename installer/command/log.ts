// The full installer log (0600: it names paths and engine details, never a secret). Written
// synchronously so a SIGKILL loses at most the line being written.
import { appendFileSync, chmodSync, closeSync, mkdirSync, openSync, constants } from 'node:fs';
import { dirname } from 'node:path';

export interface Logger {
  readonly path: string;
  line(message: string): void;
}

export function openLog(path: string): Logger {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  closeSync(fd);
  chmodSync(path, 0o600);
  const logger: Logger = {
    path,
    line(message: string) {
      try {
        appendFileSync(path, `${new Date().toISOString()} ${redactJoinTokens(message)}\n`);
      } catch {
        // a full disk must not turn into a second failure
      }
    },
  };
  logger.line(`--- ai-proxy installer pid ${process.pid}: ${process.argv.slice(2).join(' ')}`);
  return logger;
}

/**
 * A Swarm join token lets any machine join the cluster and receive its secrets: it never goes
 * into the log, whatever line (an argument list, an engine error) carries it.
 */
export function redactJoinTokens(text: string): string {
  return text.replace(/SWMTKN-[0-9A-Za-z-]*/g, 'SWMTKN-<redacted>');
}

/** A logger that writes nowhere (`--dry-run` touches nothing). */
export function nullLog(path: string): Logger {
  return { path, line() {} };
}
