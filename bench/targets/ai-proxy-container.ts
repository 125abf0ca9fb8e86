// ai-proxy in its hardened container: the image built from the release archive's own
// Dockerfile, run with the limits the installer applies (installer/engine/container-spec.ts): read-only
// root, all capabilities dropped, no-new-privileges, 512 MiB, 0.5 CPU, pids limit, tini.
// One difference, on purpose: host networking. With a published port on loopback the engine
// routes through its userland docker-proxy, whose cost is the engine's and not ai-proxy's, and
// the mock upstream listens on 127.0.0.1 only.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileAsync, rssBytes, waitHttp } from '../lib/proc.ts';
import { PROXY_MODEL, proxyHeaders, writeProxyConfig } from './ai-proxy-config.ts';
import { freePort, TargetUnavailable, type Target } from './types.ts';

export const CONTAINER = 'aip-bench-proxy';
export const IMAGE = 'aip-bench-ai-proxy:bench';

const HARDENED = [
  '--read-only',
  '--tmpfs',
  '/tmp:rw,noexec,nosuid,nodev,size=64m,mode=1777',
  '--security-opt',
  'no-new-privileges:true',
  '--cap-drop',
  'ALL',
  '--memory',
  '512m',
  '--memory-swap',
  '512m',
  '--cpus',
  '0.5',
  '--pids-limit',
  '256',
  '--init',
  '--user',
  '1001:1001',
  '--log-driver',
  'json-file',
  '--log-opt',
  'max-size=10m',
  '--log-opt',
  'max-file=3',
];

async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Unpacks the release archive and builds its image with the HEALTHCHECK port set like the installer does. */
async function buildImage(
  archive: string,
  dir: string,
  port: number,
): Promise<{ buildMs: number; imageBytes: number }> {
  if (!existsSync(archive)) throw new TargetUnavailable(`${archive} is not built (run \`npm run release\`)`);
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], 10_000);
  } catch {
    throw new TargetUnavailable('no Docker engine answers at /var/run/docker.sock (start dockerd)');
  }
  mkdirSync(dir, { recursive: true });
  await execFileAsync('tar', ['-xzf', archive, '-C', dir]);
  const dockerfile = join(dir, 'Dockerfile');
  writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replaceAll('8080', String(port)));
  const started = performance.now();
  try {
    // --no-cache: another image of the same archive on this engine would otherwise turn the
    // build into a cache hit and the build time into nothing.
    await docker(['build', '--no-cache', '-q', '-t', IMAGE, dir], 300_000);
  } catch (error) {
    throw new TargetUnavailable(
      `docker build of the release image failed: ${String((error as { stderr?: string }).stderr ?? error)
        .trim()
        .split('\n')
        .pop()}`,
    );
  }
  const buildMs = performance.now() - started;
  const imageBytes = Number(await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE]));
  return { buildMs, imageBytes };
}

export const aiProxyContainer: Target = {
  name: 'ai-proxy-container',
  describe: 'release image, --read-only --cap-drop ALL --memory 512m --cpus 0.5, host network',
  async start(ctx) {
    const dir = join(ctx.workDir, 'container');
    const port = await freePort();
    const { buildMs, imageBytes } = await buildImage(ctx.archive, join(dir, 'image'), port);
    writeProxyConfig(join(dir, 'config'), port, '127.0.0.1', ctx.upstreamPort);
    await docker(['rm', '-f', CONTAINER]).catch(() => '');
    const started = performance.now();
    await docker([
      'run',
      '-d',
      '--name',
      CONTAINER,
      '--network',
      'host',
      ...HARDENED,
      '-v',
      `${join(dir, 'config')}:/app/config:ro`,
      IMAGE,
      'serve',
    ]);
    const stop = async (): Promise<void> => {
      await docker(['rm', '-f', CONTAINER]).catch(() => '');
      await docker(['rmi', IMAGE]).catch(() => '');
    };
    try {
      await waitHttp(`http://127.0.0.1:${port}/health/ready`, { timeoutMs: 20_000 });
    } catch (error) {
      const logs = await docker(['logs', '--tail', '3', CONTAINER]).catch(() => '');
      await stop();
      throw new TargetUnavailable(`the container did not become ready: ${(error as Error).message} ${logs}`);
    }
    const startMs = performance.now() - started;
    const pid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', CONTAINER]));
    return {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: proxyHeaders,
      // tini and ai-proxy under it: the container's processes as the host sees them.
      pids: () => (rssBytes([pid]) > 0 ? [pid] : []),
      startMs,
      notes: [`model ${PROXY_MODEL}; 0.5 CPU, 512 MiB`],
      figures: { imageBuildMs: buildMs, imageBytes },
      async problem() {
        const state = await docker([
          'inspect',
          '-f',
          '{{.State.Status}} {{.State.OOMKilled}} {{.RestartCount}}',
          CONTAINER,
        ]).catch(() => 'gone');
        const [status, oom] = state.split(' ');
        if (oom === 'true') return 'OOM-killed';
        return status === 'running' ? undefined : `container ${status}`;
      },
      stop,
    };
  },
};
