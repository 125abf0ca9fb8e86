// What the proxy's pod must keep, as a list of problems (empty = hardened). Kept apart from the
// test so the test can also prove that removing any single field is reported.
import type { K8sObject } from './k8s-manifests.ts';

type Obj = Record<string, any>;

export const UID = 1001;
export const PORT = 8080;

function securityContextProblems(sc: Obj | undefined, where: string): string[] {
  const p: string[] = [];
  if (sc?.runAsNonRoot !== true) p.push(`${where}: runAsNonRoot must be true`);
  if (sc?.runAsUser !== UID) p.push(`${where}: runAsUser must be ${UID}`);
  if (sc?.runAsGroup !== UID) p.push(`${where}: runAsGroup must be ${UID}`);
  if (sc?.seccompProfile?.type !== 'RuntimeDefault') p.push(`${where}: seccompProfile.type must be RuntimeDefault`);
  return p;
}

function portOf(container: Obj, port: unknown): unknown {
  if (typeof port === 'number') return port;
  return (container.ports ?? []).find((p: Obj) => p.name === port)?.containerPort;
}

export function hardeningProblems(deployment: K8sObject): string[] {
  const pod: Obj = (deployment as Obj).spec?.template?.spec ?? {};
  const p: string[] = [];
  if (pod.automountServiceAccountToken !== false) p.push('pod: automountServiceAccountToken must be false');
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC'])
    if (pod[host] === true) p.push(`pod: ${host} must not be set`);
  p.push(...securityContextProblems(pod.securityContext, 'pod securityContext'));
  const volumes = new Map<string, Obj>((pod.volumes ?? []).map((v: Obj) => [v.name, v]));
  for (const v of volumes.values()) if (v.hostPath) p.push(`volume ${v.name}: hostPath is not allowed`);
  const containers: Obj[] = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
  if (containers.length === 0) p.push('pod: no containers');
  for (const c of containers) {
    const where = `container ${c.name}`;
    const sc: Obj | undefined = c.securityContext;
    p.push(...securityContextProblems(sc, `${where} securityContext`));
    if (sc?.readOnlyRootFilesystem !== true) p.push(`${where}: readOnlyRootFilesystem must be true`);
    if (sc?.allowPrivilegeEscalation !== false) p.push(`${where}: allowPrivilegeEscalation must be false`);
    if (sc?.privileged === true) p.push(`${where}: privileged must not be true`);
    if (!(sc?.capabilities?.drop ?? []).includes('ALL')) p.push(`${where}: capabilities.drop must include ALL`);
    if ((sc?.capabilities?.add ?? []).length > 0) p.push(`${where}: capabilities.add must be empty`);
    const r = c.resources ?? {};
    if (r.limits?.memory !== '512Mi' || r.requests?.memory !== '512Mi')
      p.push(`${where}: memory request and limit must be 512Mi`);
    if (r.limits?.cpu !== '500m' || r.requests?.cpu !== '500m') p.push(`${where}: cpu request and limit must be 500m`);
    if (c.livenessProbe?.httpGet?.path !== '/health/live') p.push(`${where}: livenessProbe must GET /health/live`);
    else if (portOf(c, c.livenessProbe.httpGet.port) !== PORT) p.push(`${where}: livenessProbe must use port ${PORT}`);
    if (c.readinessProbe?.httpGet?.path !== '/health/ready') p.push(`${where}: readinessProbe must GET /health/ready`);
    else if (portOf(c, c.readinessProbe.httpGet.port) !== PORT)
      p.push(`${where}: readinessProbe must use port ${PORT}`);
    const envPort = (c.env ?? []).find((e: Obj) => e.name === 'PORT')?.value;
    if (envPort !== String(PORT)) p.push(`${where}: env PORT must be "${PORT}" (the probes and Service use it)`);
    const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    if (!(pod.terminationGracePeriodSeconds > preStop + 10))
      p.push(`${where}: terminationGracePeriodSeconds must exceed preStop (${preStop} s) + the 10 s drain`);
    // The only writable path is /tmp, on a size-limited memory emptyDir.
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      if (m.mountPath === '/tmp') {
        if (v?.emptyDir?.medium !== 'Memory' || !v.emptyDir.sizeLimit)
          p.push(`${where}: /tmp must be an emptyDir with medium Memory and a sizeLimit`);
      } else if (m.readOnly !== true) p.push(`${where}: mount ${m.mountPath} must be readOnly (only /tmp is writable)`);
    }
    if (!(c.volumeMounts ?? []).some((m: Obj) => m.mountPath === '/tmp'))
      p.push(`${where}: /tmp must be mounted (emptyDir, medium Memory)`);
  }
  return p;
}
