// Whether the fresh-VPS suite can run here. Without an engine or the release artifacts it is
// reported as skipped with the reason, unless REQUIRE_E2E=1 (CI), where that is a failure.
import { run } from './run.ts';
import { currentRelease, missingArtifacts } from './artifacts.ts';
import { type Recipe, imageTag } from './recipes.ts';

export const REQUIRE_E2E = process.env.REQUIRE_E2E === '1';

const has = async (cmd: string, args: string[]) => (await run(cmd, args).catch(() => ({ code: 127 }))).code === 0;

/**
 * The engine's cgroup version. The harness's cgroup v2 branch (image/vps-boot) has never run on
 * the project's machines, which are cgroup v1; a CI run there must not pass for a proven one.
 */
async function cgroupVersion(): Promise<string> {
  return (await run('docker', ['info', '--format', '{{.CgroupVersion}}']).catch(() => ({ stdout: '' }))).stdout.trim();
}

/** undefined when everything is there, else one line saying what is missing and what to do. */
export async function missingPrerequisite(recipes: readonly Recipe[]): Promise<string | undefined> {
  if (!(await has('docker', ['version', '--format', '{{.Server.Version}}']))) {
    return 'no Docker engine answers (docker version failed): start one with `nohup dockerd >/var/log/dockerd.log 2>&1 &`, or run .ci/run';
  }
  if (REQUIRE_E2E && (await cgroupVersion()) === '2' && process.env.VPS_CGROUP2 !== '1') {
    return 'the engine runs cgroup v2, where the VPS harness (image/vps-boot) has never been exercised: run CI on a cgroup v1 host as the project does, or set VPS_CGROUP2=1 to try that path on purpose';
  }
  const missing = missingArtifacts(currentRelease());
  if (missing.length) return `release artifacts missing (${missing.join(', ')}): run \`npm run release\` first`;
  const uncached = [];
  for (const r of recipes) if (!(await has('docker', ['image', 'inspect', imageTag(r)]))) uncached.push(r.name);
  if (uncached.length && !(await has('sh', ['-c', 'command -v debootstrap']))) {
    return `VPS images ${uncached.join(', ')} must be built and debootstrap is missing: apt-get install debootstrap`;
  }
  if (uncached.length && process.getuid?.() !== 0)
    return `VPS images ${uncached.join(', ')} must be built, which needs root (debootstrap)`;
  return undefined;
}
