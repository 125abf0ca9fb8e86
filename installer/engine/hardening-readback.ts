// What hardening a container really got, read from its inspect document (after a Swarm
// rollout): the installer reports exactly that, and names what Swarm could not apply with what
// makes up for it. Nothing here trusts the spec that was sent.
import type Docker from 'dockerode';
import { HARDENING } from './container-spec.ts';

export interface HardeningReport {
  applied: string[];
  notApplied: string[];
}

export function readHardening(container: Docker.ContainerInspectInfo, setuidFree: boolean): HardeningReport {
  const host = container.HostConfig as Docker.HostConfig & {
    Init?: boolean;
    Mounts?: Array<{ Type?: string; Target?: string }>;
  };
  const config = container.Config as Docker.ContainerInspectInfo['Config'] & { Healthcheck?: { Test?: string[] } };
  const checks: Array<[boolean, string]> = [
    [config.User === HARDENING.user, `user ${HARDENING.user}`],
    [host.ReadonlyRootfs === true, 'read-only root filesystem'],
    [
      (host.Mounts ?? []).some((m) => m.Type === 'tmpfs' && m.Target === '/tmp'),
      "tmpfs /tmp (noexec, nosuid, nodev: the engine's defaults for tmpfs mounts)",
    ],
    [
      (host.CapDrop ?? []).map((c: string) => c.toUpperCase()).includes('ALL') && !(host.CapAdd ?? []).length,
      'all capabilities dropped',
    ],
    [host.Memory === HARDENING.memoryBytes, 'memory limit 512 MiB'],
    [host.NanoCpus === HARDENING.nanoCpus, 'CPU limit 0.5'],
    [
      (host.PidsLimit ?? 0) > 0 && (host.PidsLimit ?? 0) <= HARDENING.pidsLimit,
      `pids limit ${host.PidsLimit ?? 'none'}`,
    ],
    [host.Init === true, 'init process (tini)'],
    [Boolean(config.Healthcheck?.Test?.length), 'health check'],
    [
      host.LogConfig?.Type === 'json-file' && host.LogConfig.Config?.['max-size'] === HARDENING.logMaxSize,
      `json-file log rotation ${HARDENING.logMaxSize} x ${HARDENING.logMaxFiles}`,
    ],
    [host.Privileged === false, 'not privileged'],
  ];
  const report: HardeningReport = { applied: [], notApplied: [] };
  for (const [ok, label] of checks) (ok ? report.applied : report.notApplied).push(label);
  const nnp = (host.SecurityOpt ?? []).some((o: string) => /^no-new-privileges(:true|=true)?$/.test(o));
  if (nnp) report.applied.push('no-new-privileges');
  else {
    report.notApplied.push(
      `no-new-privileges (Swarm services cannot set security_opt, moby/moby#41371); compensated by: no capabilities at all, a non-root user${setuidFree ? ', and no setuid/setgid file in the image (checked in the build context)' : ''}`,
    );
  }
  return report;
}
