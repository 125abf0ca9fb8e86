// The first step of every flow: is this host able to run the installer? Root, Linux, and a
// Docker engine that answers with a recent enough API; the connected engine is what every later
// step talks to.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { Engine } from '../engine/engine.ts';
import { findEndpoint, MIN_API } from '../engine/endpoint.ts';
import type { Run, Step } from '../flows/step.ts';

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(delimiter)
    .some((dir) => dir && existsSync(join(dir, name)));
}

async function connectEngine(run: Run): Promise<Engine> {
  const env = run.ctx.env;
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

export const checkHost: Step<unknown, { engine: Engine }> = {
  title: 'Checking the host and the Docker engine',
  exitCode: EXIT.engineUnavailable,
  run: async (run) => {
    if (run.ctx.requireRoot && process.getuid?.() !== 0) {
      throw new InstallError(EXIT.notRoot, 'the installer must run as root', 'run it with sudo: sudo ./installer.sh');
    }
    if (process.platform !== 'linux') {
      throw new InstallError(
        EXIT.missingDependency,
        `unsupported operating system: ${process.platform}`,
        'ai-proxy installs on Linux (Debian 11, 12 or 13)',
      );
    }
    const engine = await connectEngine(run);
    const info = engine.info;
    if (info.os && info.os !== 'linux') {
      throw new InstallError(
        EXIT.missingDependency,
        `the Docker engine runs ${info.os} containers`,
        'use an engine that runs Linux containers',
      );
    }
    return { detail: `engine ${info.serverVersion}, API ${info.apiVersion}, ${info.arch}`, value: { engine } };
  },
};
