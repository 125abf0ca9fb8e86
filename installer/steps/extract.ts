// Step 4: unpack the archive into /tmp/ai-proxy. /tmp is world-writable, so the folder must be
// one we just created: a pre-existing symlink or a folder owned by someone else is refused,
// never followed; our own leftover from an interrupted run is removed first.
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { ArchiveCorrupt, ArchiveUnreadable, readArchive, type ArchiveReport } from '../archive/read-archive.ts';
import type { RunState, Step, UndoAction } from '../flows/state.ts';
import { need } from '../flows/state.ts';

/** Makes `dir` a fresh, empty, root-owned 0700 folder; throws InstallError(10) when unsafe. */
export function prepareWorkDir(dir: string): void {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stat) {
    if (stat.isSymbolicLink())
      throw new InstallError(
        EXIT.extractFailed,
        `${dir} is a symbolic link; refusing to follow it`,
        `remove it (sudo rm ${dir}) and check who created it`,
      );
    if (!stat.isDirectory())
      throw new InstallError(EXIT.extractFailed, `${dir} exists and is not a directory`, `remove it: sudo rm ${dir}`);
    if (stat.uid !== (process.getuid?.() ?? 0))
      throw new InstallError(
        EXIT.extractFailed,
        `${dir} belongs to another user (uid ${stat.uid}); refusing to use it`,
        `remove it (sudo rm -rf ${dir}) and check who created it`,
      );
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

/**
 * Unpacks the archive into the fresh work folder, checking every entry and hash on the way.
 * Registers the folder's removal; maps failures to 7 (content), 6 (reading) or 10 (writing).
 */
export async function extractArchive(state: RunState, undo: (action: UndoAction) => void): Promise<ArchiveReport> {
  const dir = state.ctx.paths.workDir;
  try {
    prepareWorkDir(dir);
  } catch (error) {
    if (error instanceof InstallError) throw error;
    throw new InstallError(
      EXIT.extractFailed,
      `cannot create ${dir}: ${(error as Error).message}`,
      'check that /tmp exists and is writable',
    );
  }
  undo({ label: `remove ${dir}`, run: () => removeWorkDir(dir) });
  try {
    return await readArchive(need(state.archivePath, 'archive'), { extractTo: dir, signal: state.signal });
  } catch (error) {
    if (state.signal.aborted) throw error;
    if (error instanceof ArchiveCorrupt)
      throw new InstallError(
        EXIT.archiveCorrupt,
        `release archive ${state.archivePath} is corrupt: ${error.message}`,
        'download the release again and check it with ./installer.sh --check',
      );
    if (error instanceof ArchiveUnreadable)
      throw new InstallError(
        EXIT.archiveMissing,
        `release archive ${state.archivePath} could not be read: ${error.message}`,
        'check the file and its permissions',
      );
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOSPC'
        ? `free space in ${dir}'s filesystem (df -h /tmp)`
        : code === 'EROFS'
          ? '/tmp is read-only; remount it read-write'
          : 'see the log for details';
    throw new InstallError(EXIT.extractFailed, `extraction into ${dir} failed: ${(error as Error).message}`, hint);
  }
}

export const extract: Step = {
  title: (state) => `Extracting into ${state.ctx.paths.workDir}`,
  exitCode: EXIT.extractFailed,
  async run(state, undo) {
    if (state.extracted) return `done while verifying (${state.extracted})`;
    const report = await extractArchive(state, undo);
    if (report.texts.get('manifest.json') !== state.texts?.get('manifest.json')) {
      throw new InstallError(
        EXIT.archiveCorrupt,
        'the release archive changed since it was verified',
        'do not replace the archive while the installer runs; run it again',
      );
    }
    return `${report.files.size} files, ${(report.totalBytes / 1024 / 1024).toFixed(1)} MiB`;
  },
};
