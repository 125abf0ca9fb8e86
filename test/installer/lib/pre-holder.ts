// An installation as the installers before the holder left it: one proxy container that publishes
// the port itself (bridge network), with the installer's labels, the same image, configuration and
// data folder. Made from a current installation by replacing its two containers with that one.
import { docker, inspect, type TestInstall } from './harness.ts';

export async function makePreHolder(t: TestInstall, port: number): Promise<string> {
  const current = inspect(t.name);
  // the settings hash of a container made by the older installer differs from this one's
  const all = { ...(current.Config.Labels as Record<string, string>), 'io.ai-proxy.spec-sha256': 'pre-holder' };
  const labels = Object.entries(all).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  for (const name of [t.name, `${t.name}-holder`]) docker(['rm', '-f', name]);
  const id = docker([
    'run',
    '--detach',
    '--name',
    t.name,
    ...labels,
    '--user',
    '1001:1001',
    '--read-only',
    '--tmpfs',
    '/tmp:rw,noexec,nosuid,nodev,size=64m',
    '--security-opt',
    'no-new-privileges:true',
    '--cap-drop',
    'ALL',
    '--memory',
    '512m',
    '--pids-limit',
    '256',
    '--init',
    '--restart',
    'unless-stopped',
    '--env',
    'DATA_DIR=/app/data',
    '--mount',
    `type=bind,source=${t.ctx.paths.configDir},target=/app/config,readonly`,
    '--mount',
    `type=bind,source=${t.ctx.paths.dataDir},target=/app/data`,
    '--network',
    'bridge',
    '--publish',
    `0.0.0.0:${port}:${port}`,
    current.Config.Image,
  ]);
  for (let i = 0; inspect(id).State.Health?.Status !== 'healthy'; i++) {
    if (i > 150) throw new Error(`the pre-holder container did not become healthy: ${docker(['logs', id], true)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return id;
}
