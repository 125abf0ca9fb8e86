// Step 4: unpack the archive into /tmp/ai-proxy. /tmp is world-writable, so the folder must be
// one we just created: a pre-existing symlink or a folder owned by someone else is refused,
// never followed; our own leftover from an interrupted run is removed first.
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { EXIT } from '../exit-codes.ts';
import { InstallError } from '../errors.ts';
import { ArchiveCorrupt, readArchive } from '../archive.ts';
import type { RunState, Step } from '../state.ts';
import { need } from '../state.ts';

/** Makes `dir` a fresh, empty, root-owned 0700 folder; throws InstallError(10) when unsafe. */
export function prepareWorkDir(dir: string): void {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stat) {
    if (stat.isSymbolicLink()) throw new InstallError(EXIT.extractFailed, `${dir} is a symbolic link; refusing to follow it`, `remove it (sudo rm ${dir}) and check who created it`);
    if (!stat.isDirectory()) throw new InstallError(EXIT.extractFailed, `${dir} exists and is not a directory`, `remove it: sudo rm ${dir}`);
    if (stat.uid !== (process.getuid?.() ?? 0)) throw new InstallError(EXIT.extractFailed, `${dir} belongs to another user (uid ${stat.uid}); refusing to use it`, `remove it (sudo rm -rf ${dir}) and check who created it`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function removeWorkDir(dir: string): void {
  try {
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink() || stat.uid !== (process.getuid?.() ?? 0)) return;
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // already gone
  }
}

export const extract: Step = {
  title: (state) => `Extracting into ${state.ctx.paths.workDir}`,
  exitCode: EXIT.extractFailed,
  async run(state, undo) {
    const dir = state.ctx.paths.workDir;
    try {
      prepareWorkDir(dir);
    } catch (error) {
      if (error instanceof InstallError) throw error;
      throw new InstallError(EXIT.extractFailed, `cannot create ${dir}: ${(error as Error).message}`, 'check that /tmp exists and is writable');
    }
    undo({ label: `remove ${dir}`, run: () => removeWorkDir(dir) });
    try {
      const report = await readArchive(need(state.archivePath, 'archive'), { extractTo: dir, signal: state.signal });
      if (report.manifest.version !== state.manifest?.version) throw new ArchiveCorrupt('the archive changed since it was verified');
      return `${report.files.size} files, ${(report.totalBytes / 1024 / 1024).toFixed(1)} MiB`;
    } catch (error) {
      if (state.signal.aborted) throw error;
      if (error instanceof ArchiveCorrupt) throw new InstallError(EXIT.archiveCorrupt, `release archive is corrupt: ${error.message}`, 'download the release again');
      const code = (error as NodeJS.ErrnoException).code;
      const hint = code === 'ENOSPC' ? `free space in ${dir}'s filesystem (df -h /tmp)` : code === 'EROFS' ? '/tmp is read-only; remount it read-write' : 'see the log for details';
      throw new InstallError(EXIT.extractFailed, `extraction into ${dir} failed: ${(error as Error).message}`, hint);
    }
  },
};
