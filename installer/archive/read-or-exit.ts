// One pass over the release archive with its failures as the installer's exit codes: corrupt
// content 7, an archive that cannot be read 6, a failure writing the extracted files 10.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { ArchiveCorrupt, ArchiveUnreadable, readArchive, type ArchiveReport } from './read-archive.ts';

export async function readArchiveOrExit(
  path: string,
  options: { extractTo?: string; signal: AbortSignal },
): Promise<ArchiveReport> {
  try {
    return await readArchive(path, options);
  } catch (error) {
    if (options.signal.aborted) throw error;
    if (error instanceof ArchiveCorrupt)
      throw new InstallError(
        EXIT.archiveCorrupt,
        `release archive ${path} is corrupt: ${error.message}`,
        'download the release again and check it with ./installer.sh --check',
      );
    if (error instanceof ArchiveUnreadable || !options.extractTo)
      throw new InstallError(
        EXIT.archiveMissing,
        `release archive ${path} could not be read: ${(error as Error).message}`,
        'check the file and its permissions',
      );
    const dir = options.extractTo;
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
