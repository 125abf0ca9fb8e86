// The configuration folder on disk: created with the owner and modes the container needs,
// every changed file backed up first, written atomically, restored byte for byte on rollback.
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { sweepTempFiles, writeFileAtomic } from './atomic-write.ts';

export const BACKUP_DIR = '.backup';
export const BACKUPS_KEPT = 5;

/** True when something (even a dangling link) is at `path`. */
export function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates or fixes the folder: 0750 root:<gid>, so the container user can read, not write. */
export function ensureConfigDir(configDir: string, gid: number): boolean {
  const existed = pathExists(configDir);
  mkdirSync(configDir, { recursive: true, mode: 0o750 });
  chownSync(configDir, 0, gid);
  chmodSync(configDir, 0o750);
  sweepTempFiles(configDir, readdirSync(configDir));
  return !existed;
}

/** Copies the current file into .backup/ (0600 root) and keeps the newest BACKUPS_KEPT per file. */
export function backupFile(configDir: string, name: string, stamp: string): void {
  const source = join(configDir, name);
  if (!pathExists(source)) return;
  const dir = join(configDir, BACKUP_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  copyFileSync(source, join(dir, `${name}.${stamp}`));
  chmodSync(join(dir, `${name}.${stamp}`), 0o600);
  const mine = readdirSync(dir)
    .filter((entry) => entry.startsWith(`${name}.`))
    .sort();
  for (const old of mine.slice(0, Math.max(0, mine.length - BACKUPS_KEPT))) unlinkSync(join(dir, old));
}

export function writeConfigFile(configDir: string, name: string, content: string | Buffer, gid: number): void {
  writeFileAtomic(join(configDir, name), content, { mode: 0o640, uid: 0, gid });
}

/** Puts a file back exactly as it was, or removes it when it did not exist. */
export function restoreConfigFile(configDir: string, name: string, previous: Buffer | undefined, gid: number): void {
  if (previous === undefined) {
    try {
      unlinkSync(join(configDir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return;
  }
  writeConfigFile(configDir, name, previous, gid);
}

/** A sortable timestamp for backup names (UTC, filesystem-safe). */
export function backupStamp(now = new Date()): string {
  return (
    now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z') + `-${process.pid}`
  );
}
