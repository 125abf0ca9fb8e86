// Atomic file replacement: temp file in the same directory, fsync, rename, fsync the directory.
// The write is a list of steps so tests can stop after any of them and prove a crash leaves
// either the old or the new file, never a mix.
import {
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
  fchownSync,
  fchmodSync,
  constants,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface WriteOptions {
  mode: number;
  uid?: number;
  gid?: number;
}

export const TEMP_PREFIX = '.tmp-';

export interface AtomicWrite {
  temp: string;
  steps: Array<() => void>;
}

export function atomicWriteSteps(path: string, data: string | Buffer, options: WriteOptions): AtomicWrite {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}.${randomBytes(6).toString('hex')}`);
  let fd = -1;
  const steps = [
    () => {
      // O_EXCL|O_NOFOLLOW: never write through something another user planted under our name.
      fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    },
    () => {
      const buffer = typeof data === 'string' ? Buffer.from(data) : data;
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(fd, buffer, offset);
    },
    () => {
      if (options.uid !== undefined && options.gid !== undefined) fchownSync(fd, options.uid, options.gid);
      fchmodSync(fd, options.mode);
      fsyncSync(fd);
      closeSync(fd);
      fd = -1;
    },
    () => renameSync(temp, path),
    () => fsyncDir(dir),
  ];
  return { temp, steps };
}

export function writeFileAtomic(path: string, data: string | Buffer, options: WriteOptions): void {
  const { temp, steps } = atomicWriteSteps(path, data, options);
  let done = 0;
  try {
    for (const step of steps) {
      step();
      done++;
    }
  } catch (error) {
    if (done < 4) {
      try {
        unlinkSync(temp);
      } catch {
        // never created, or already gone
      }
    }
    throw error;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes temp files an interrupted write left behind (names start with TEMP_PREFIX). */
export function sweepTempFiles(dir: string, names: string[]): string[] {
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // already gone
    }
  }
  return removed;
}
