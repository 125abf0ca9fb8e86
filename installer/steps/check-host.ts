// Step 1: is this host able to run the install? Root, Linux, a Docker engine that answers with
// a recent enough API, and a release archive whose structure and hashes check out.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { Engine } from '../engine/engine.ts';
import { findEndpoint, MIN_API } from '../engine/endpoint.ts';
import { ArchiveCorrupt, hashFile, readArchive, type ArchiveReport } from '../archive/read-archive.ts';
import { extractArchive } from './extract.ts';
import { labelKeys } from './plan-install.ts';
import type { RunState, Step } from '../flows/state.ts';

const ARCHIVE_NAME = 'ai-proxy-release.tar.gz';
/** x64/amd64/x86_64 -> x64, arm64/aarch64 -> arm64: Node, Docker and uname spell them differently. */
export function normalizeArch(arch: string): string {
  if (['x64', 'amd64', 'x86_64'].includes(arch)) return 'x64';
  if (['arm64', 'aarch64'].includes(arch)) return 'arm64';
  return arch;
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(delimiter)
    .some((dir) => dir && existsSync(join(dir, name)));
}

export async function connectEngine(state: RunState): Promise<Engine> {
  const env = state.ctx.env;
  const endpoint = findEndpoint(env);
  if (!endpoint) {
    if (!onPath('dockerd', env) && !onPath('podman', env) && !onPath('docker', env)) {
      throw new InstallError(
        EXIT.missingDependency,
        'no Docker engine is installed on this host',
        'install one first: sudo apt-get install -y docker.io',
      );
    }
    throw new InstallError(
      EXIT.engineUnavailable,
      'the Docker engine is not running (no socket at /var/run/docker.sock)',
      'start it: sudo systemctl start docker',
    );
  }
  try {
    return await Engine.connect(endpoint);
  } catch (error) {
    const reason = (error as Error).message;
    if (/older than/.test(reason))
      throw new InstallError(
        EXIT.engineUnavailable,
        reason,
        `upgrade Docker to an engine with API ${MIN_API} or newer (Docker 19.03+)`,
      );
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' || code === 'ECONNREFUSED'
        ? 'is not running'
        : code === 'EACCES'
          ? 'refused access'
          : `did not answer (${reason})`;
    throw new InstallError(
      EXIT.engineUnavailable,
      `the Docker engine at ${endpoint.description} ${why}`,
      'check it with: sudo systemctl status docker',
    );
  }
}

export const checkHost: Step = {
  title: 'Checking the host and the Docker engine',
  exitCode: EXIT.engineUnavailable,
  async run(state) {
    if (state.ctx.requireRoot && process.getuid?.() !== 0) {
      throw new InstallError(EXIT.notRoot, 'the installer must run as root', 'run it with sudo: sudo ./installer.sh');
    }
    if (process.platform !== 'linux') {
      throw new InstallError(
        EXIT.missingDependency,
        `unsupported operating system: ${process.platform}`,
        'ai-proxy installs on Linux (Debian 11, 12 or 13)',
      );
    }
    state.engine = await connectEngine(state);
    const info = state.engine.info;
    if (info.os && info.os !== 'linux') {
      throw new InstallError(
        EXIT.missingDependency,
        `the Docker engine runs ${info.os} containers`,
        'use an engine that runs Linux containers',
      );
    }
    return `engine ${info.serverVersion}, API ${info.apiVersion}, ${info.arch}`;
  },
};

export function locateArchive(state: RunState): string {
  const given = state.options.archive;
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

/**
 * An install or upgrade unpacks in the same pass that verifies (one decompression instead of
 * two); a re-run of the installed archive, and --dry-run, only verify. Needs the archive's sha.
 */
function extractWhileVerifying(state: RunState): boolean {
  const installed = state.existing?.labels[labelKeys(state.ctx).archive] === state.archiveSha;
  return !state.options.dryRun && (!installed || state.options.force);
}

export const verifyArchive: Step = {
  // A first install always unpacks here; an upgrade does too, which the step's result says.
  title: (state) =>
    state.existing || state.options.dryRun
      ? 'Verifying the release archive'
      : `Extracting and verifying the release archive into ${state.ctx.paths.workDir}`,
  exitCode: EXIT.archiveCorrupt,
  async run(state, undo) {
    const path = locateArchive(state);
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
    state.archivePath = path;
    const sha = await hashFile(path).catch((error: Error) => {
      throw new InstallError(
        EXIT.archiveMissing,
        `release archive ${path} could not be read: ${error.message}`,
        'check the file and its permissions',
      );
    });
    state.archiveSha = sha;
    let report: ArchiveReport;
    if (extractWhileVerifying(state)) {
      report = await extractArchive(state, undo);
      state.extracted = `${report.files.size} files, ${(report.totalBytes / 1024 / 1024).toFixed(1)} MiB`;
    } else {
      report = await readArchive(path, { signal: state.signal }).catch((error: unknown) => {
        if (state.signal.aborted) throw error;
        if (error instanceof ArchiveCorrupt)
          throw new InstallError(
            EXIT.archiveCorrupt,
            `release archive ${path} is corrupt: ${error.message}`,
            'download the release again and check it with ./installer.sh --check',
          );
        throw new InstallError(
          EXIT.archiveMissing,
          `release archive ${path} could not be read: ${(error as Error).message}`,
          'check the file and its permissions',
        );
      });
    }
    state.manifest = report.manifest;
    state.texts = report.texts;
    const wanted = normalizeArch(report.manifest.arch);
    const engineArch = normalizeArch(state.engine?.info.arch ?? process.arch);
    if (wanted !== normalizeArch(process.arch) || wanted !== engineArch) {
      throw new InstallError(
        EXIT.missingDependency,
        `this archive is for ${report.manifest.arch}, this host's engine runs ${engineArch}`,
        `download the ${engineArch} release`,
      );
    }
    return `${report.manifest.name} ${report.manifest.version} (${report.manifest.arch}), ${report.files.size} files, sha256 ${sha.slice(0, 12)}${state.extracted ? `, unpacked into ${state.ctx.paths.workDir}` : ''}`;
  },
};
