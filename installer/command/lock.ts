// One installer at a time. The lock lives in a world-writable folder (/run/lock), so anyone on
// the host can plant something at its path first: it is created with O_EXCL|O_NOFOLLOW (never
// through a link, never over an existing file), and an existing one is trusted only when it is
// a plain file of ours (our uid, one link, not writable by others) naming a live process that
// started when the file says it did. Anything else (a link, a FIFO, a file of another user, a
// pid that is gone or was reused after a crash) is stale and replaced.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { dirname } from 'node:path';

export interface Lock {
  release(): void;
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
// O_NONBLOCK: a FIFO swapped in after the lstat must not hang the installer on open or read.
const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const MAX_LOCK_BYTES = 64;

/** The kernel's start time of a process (clock ticks since boot), or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A pid recorded before a crash may belong to another program now.
  const now = processStart(pid);
  return start === undefined || now === undefined || now === start;
}

interface Holder {
  pid: number;
  /** The lock file's identity when it was judged, so only that file is removed as stale. */
  id: string;
  live: boolean;
}

/** Device, inode and change time: an inode number alone is reused as soon as a file is deleted. */
function identity(stat: { dev: bigint; ino: bigint; ctimeNs: bigint }): string {
  return `${stat.dev}:${stat.ino}:${stat.ctimeNs}`;
}

/** Reads the lock at `path` if it is one we could have written; undefined when nothing is there. */
function inspect(path: string): Holder | { id: string; live: false } | undefined {
  let stat: BigIntStats;
  try {
    stat = lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  const id = identity(stat);
  const planted =
    !stat.isFile() || stat.uid !== BigInt(process.getuid?.() ?? -1) || stat.nlink !== 1n || (stat.mode & 0o022n) !== 0n;
  if (planted) return { id, live: false };
  let fd: number;
  try {
    fd = openSync(path, READ);
  } catch {
    return { id, live: false };
  }
  try {
    if (identity(fstatSync(fd, { bigint: true })) !== id) return { id, live: false };
    const buffer = Buffer.alloc(MAX_LOCK_BYTES);
    const text = buffer.subarray(0, readSync(fd, buffer, 0, MAX_LOCK_BYTES, 0)).toString('utf8');
    const [pidText, start] = text.trim().split(' ');
    const pid = Number(pidText);
    if (!/^[1-9][0-9]*$/.test(pidText ?? '') || pid === process.pid) return { id, live: false };
    return { pid, id, live: alive(pid, start) };
  } catch {
    return { id, live: false };
  } finally {
    closeSync(fd);
  }
}

/** Removes the stale lock judged above, and nothing else: not a fresh lock another run just made. */
function removeStale(path: string, id: string): void {
  try {
    if (identity(lstatSync(path, { bigint: true })) === id) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Returns the lock, or the pid of the live installer holding it. */
export function acquireLock(path: string): Lock | { heldBy: number } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let last: Holder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, CREATE, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = inspect(path);
      if (holder && 'pid' in holder) last = holder;
      if (holder?.live && 'pid' in holder) return { heldBy: holder.pid };
      if (holder) removeStale(path, holder.id);
      continue;
    }
    let id: string;
    try {
      writeSync(fd, `${process.pid} ${processStart(process.pid) ?? ''}`.trim() + '\n');
      id = identity(fstatSync(fd, { bigint: true }));
    } finally {
      closeSync(fd);
    }
    return {
      release() {
        // Only our own file: after a takeover by a run that judged ours stale, it is theirs.
        removeStale(path, id);
      },
    };
  }
  return { heldBy: last?.pid ?? 0 };
}
