// The work folder (/tmp/ai-proxy): the extracted archive and the image's build context. /tmp is
// world-writable, so the folder must be one we just created: a pre-existing symlink or a folder
// owned by someone else is refused, never followed; our own leftover from an interrupted run is
// removed first.
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';

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

/** Removes the folder unless it is a link or someone else's; a missing one is fine. */
export function removeWorkDir(dir: string): void {
  try {
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink() || stat.uid !== (process.getuid?.() ?? 0)) return;
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // already gone
  }
}
