// Unpack the archive into the work folder (/tmp/ai-proxy), checking every entry and hash on the
// way; usually done already by the verify step's pass, which this step then only reports.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { ArchiveReport } from '../archive/read-archive.ts';
import { readArchiveOrExit } from '../archive/read-or-exit.ts';
import { prepareWorkDir, removeWorkDir } from '../archive/work-dir.ts';
import type { Run, Step, Undo } from '../flows/step.ts';
import type { VerifiedArchive } from './verify-archive.ts';

/** Unpacks into a fresh work folder and registers its removal; maps failures to 7, 6 or 10. */
export async function unpackArchive(run: Run, path: string, undo: Undo): Promise<ArchiveReport> {
  const dir = run.ctx.paths.workDir;
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
  return readArchiveOrExit(path, { extractTo: dir, signal: run.signal });
}

export const extract: Step<{ archive: VerifiedArchive }> = {
  title: (run) => `Extracting into ${run.ctx.paths.workDir}`,
  exitCode: EXIT.extractFailed,
  run: async (run, undo, { archive }) => {
    if (archive.unpacked) return `done while verifying (${archive.unpacked})`;
    const report = await unpackArchive(run, archive.path, undo);
    if (report.texts.get('manifest.json') !== archive.texts.get('manifest.json')) {
      throw new InstallError(
        EXIT.archiveCorrupt,
        'the release archive changed since it was verified',
        'do not replace the archive while the installer runs; run it again',
      );
    }
    return `${report.files.size} files, ${(report.totalBytes / 1024 / 1024).toFixed(1)} MiB`;
  },
};
