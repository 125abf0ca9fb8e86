// One installer at a time. The lock file holds the owner's pid and is created with link(2),
// which is atomic; a lock whose pid is gone (SIGKILL, power loss) is taken over.
import { linkSync, readFileSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Lock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Returns the lock, or the pid of the live installer holding it. */
export function acquireLock(path: string): Lock | { heldBy: number } {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}`;
  writeFileSync(temp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(temp, path);
        return {
          release() {
            try {
              if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
            } catch {
              // already gone
            }
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readSafe(path));
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
          return { heldBy: holder };
        try {
          unlinkSync(path);
        } catch {
          // someone else cleared it first
        }
      }
    }
    return { heldBy: Number(readSafe(path)) || 0 };
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // ignore
    }
  }
}

function readSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
