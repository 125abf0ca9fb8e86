// The release archive: found, hashed, and checked in one streaming pass (structure, limits,
// every file's sha256 against the manifest, the CPU architecture). An install or upgrade unpacks
// in the same pass (one decompression instead of two); a re-run of the installed archive, and
// --dry-run, only verify.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { hashFile, type Manifest } from '../archive/read-archive.ts';
import { readArchiveOrExit } from '../archive/read-or-exit.ts';
import { labelKeys } from '../context.ts';
import type { ContainerState } from '../engine/containers.ts';
import type { Engine } from '../engine/engine.ts';
import type { Run, Step } from '../flows/step.ts';
import { unpackArchive } from './extract.ts';

const ARCHIVE_NAME = 'ai-proxy-release.tar.gz';

/** The archive as verified: where it is, its identity, and the small files the plan reads. */
export interface VerifiedArchive {
  path: string;
  sha: string;
  manifest: Manifest;
  /** Dockerfile, .env.example, provider-config.yaml and manifest.json as read from the archive. */
  texts: Map<string, string>;
  /** Set when the same pass unpacked it into the work folder: what it unpacked. */
  unpacked?: string;
}

/** x64/amd64/x86_64 -> x64, arm64/aarch64 -> arm64: Node, Docker and uname spell them differently. */
function normalizeArch(arch: string): string {
  if (['x64', 'amd64', 'x86_64'].includes(arch)) return 'x64';
  if (['arm64', 'aarch64'].includes(arch)) return 'arm64';
  return arch;
}

function locateArchive(run: Run): string {
  const given = run.options.archive;
  if (given) return isAbsolute(given) ? given : resolve(given);
  const candidates = [join(dirname(process.execPath), ARCHIVE_NAME), join(process.cwd(), ARCHIVE_NAME)];
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    throw new InstallError(
      EXIT.archiveMissing,
      `release archive not found (looked for ${candidates.join(' and ')})`,
      'pass it with --archive PATH, or run ./installer.sh from the folder holding it',
    );
  return found;
}

/** Unpack while verifying unless the archive is the installed one (and not --force), or --dry-run. */
function unpackWhileVerifying(run: Run, existing: ContainerState | undefined, sha: string): boolean {
  const installed = existing?.labels[labelKeys(run.ctx).archive] === sha;
  return !run.options.dryRun && (!installed || run.options.force);
}

export const verifyArchive: Step<{ engine: Engine; existing?: ContainerState }, { archive: VerifiedArchive }> = {
  // A first install always unpacks here; an upgrade does too, which the step's result says.
  title: (run, { existing }) =>
    existing || run.options.dryRun
      ? 'Verifying the release archive'
      : `Extracting and verifying the release archive into ${run.ctx.paths.workDir}`,
  exitCode: EXIT.archiveCorrupt,
  run: async (run, undo, { engine, existing }) => {
    const path = locateArchive(run);
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new Error('not a regular file');
      accessSync(path, constants.R_OK);
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'does not exist'
          : `is unreadable (${(error as Error).message})`;
      throw new InstallError(
        EXIT.archiveMissing,
        `release archive ${path} ${why}`,
        'download ai-proxy-release.tar.gz again next to installer.sh, or pass --archive PATH',
      );
    }
    const sha = await hashFile(path).catch((error: Error) => {
      throw new InstallError(
        EXIT.archiveMissing,
        `release archive ${path} could not be read: ${error.message}`,
        'check the file and its permissions',
      );
    });
    const unpack = unpackWhileVerifying(run, existing, sha);
    const report = unpack
      ? await unpackArchive(run, path, undo)
      : await readArchiveOrExit(path, { signal: run.signal });
    const unpacked = unpack
      ? `${report.files.size} files, ${(report.totalBytes / 1024 / 1024).toFixed(1)} MiB`
      : undefined;
    const { manifest } = report;
    const wanted = normalizeArch(manifest.arch);
    const engineArch = normalizeArch(engine.info.arch ?? process.arch);
    if (wanted !== normalizeArch(process.arch) || wanted !== engineArch) {
      throw new InstallError(
        EXIT.missingDependency,
        `this archive is for ${manifest.arch}, this host's engine runs ${engineArch}`,
        `download the ${engineArch} release`,
      );
    }
    return {
      detail: `${manifest.name} ${manifest.version} (${manifest.arch}), ${report.files.size} files, sha256 ${sha.slice(0, 12)}${unpacked ? `, unpacked into ${run.ctx.paths.workDir}` : ''}`,
      value: { archive: { path, sha, manifest, texts: report.texts, ...(unpacked ? { unpacked } : {}) } },
    };
  },
};
