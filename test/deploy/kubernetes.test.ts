// deploy/kubernetes, offline: every document is validated by kubernetes-models (types, enums,
// required fields) and checked for unknown fields; the pod's hardening, the objects' wiring and
// the config the pods get are asserted, and each hardening check is shown to catch its removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvError, loadConfig, parseProviderConfig, validateEnv } from '../../src/config/index.ts';
import { hardeningProblems } from './k8s-hardening.ts';
import {
  loadKustomization,
  loadManifests,
  manifestFiles,
  MODELS,
  modelKey,
  NODE_MODULES,
  type K8sObject,
} from './k8s-manifests.ts';
import { unknownFields } from './k8s-strict-fields.ts';

type Obj = Record<string, any>;
const docs = loadManifests();
const SECRET_TEMPLATE = 'secret.template.yaml';

function only(kind: string, file?: string): Obj {
  const found = docs.filter((d) => d.object.kind === kind && (file === undefined || d.file === file));
  assert.equal(found.length, 1, `expected exactly one ${kind}${file ? ` in ${file}` : ''}, found ${found.length}`);
  return found[0]!.object;
}

/** A copy with the value at `path` replaced (or deleted when value is undefined). */
function mutate<T>(object: T, path: (string | number)[], value?: unknown): T {
  const copy = structuredClone(object) as Obj;
  let at: Obj = copy;
  for (const key of path.slice(0, -1)) at = at[key];
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy as T;
}

function validateObject(o: K8sObject): void {
  const entry = MODELS[modelKey(o)];
  if (!entry)
    throw new Error(`${modelKey(o)} has no kubernetes-models class registered in test/deploy/k8s-manifests.ts`);
  entry.create(o).validate();
}

function strictProblems(o: K8sObject): string[] {
  const entry = MODELS[modelKey(o)];
  assert.ok(entry, `${modelKey(o)} is not a known kind`);
  return unknownFields(o, entry.dts, NODE_MODULES);
}

test('every manifest document is a known kind that kubernetes-models validates', async (t) => {
  assert.ok(docs.length >= 8, `expected at least 8 objects, found ${docs.length}`);
  for (const { file, object } of docs) {
    await t.test(`${file}: ${object.kind}/${object.metadata?.name}`, () => {
      validateObject(object);
      assert.deepEqual(strictProblems(object), [], 'fields that the Kubernetes API does not have');
    });
  }
  const kinds = new Set(docs.map((d) => d.object.kind));
  for (const kind of [
    'Namespace',
    'Secret',
    'ConfigMap',
    'Deployment',
    'Service',
    'PodDisruptionBudget',
    'HorizontalPodAutoscaler',
  ]) {
    assert.ok(kinds.has(kind), `no ${kind} in deploy/kubernetes`);
  }
});

test('validation is live: a wrong type and a misspelt field are both caught', () => {
  const deployment = only('Deployment') as K8sObject;
  const wrongType = mutate(
    deployment,
    ['spec', 'template', 'spec', 'containers', 0, 'securityContext', 'runAsUser'],
    'root',
  );
  assert.throws(() => validateObject(wrongType), /runAsUser must be integer/);
  const typo = mutate(
    deployment,
    ['spec', 'template', 'spec', 'containers', 0, 'securityContext', 'readOnlyRootFileSystem'],
    true,
  );
  assert.deepEqual(strictProblems(typo), ['spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem']);
  const typoInMap = mutate(deployment, ['spec', 'template', 'spec', 'volumes', 1, 'emptyDir', 'medum'], 'Memory');
  assert.deepEqual(strictProblems(typoInMap), ['spec.template.spec.volumes[1].emptyDir.medum']);
  // metadata comes from another package (@kubernetes-models/apimachinery): checked as well.
  const typoInMeta = mutate(only('Service') as K8sObject, ['metadata', 'label'], { a: 'b' });
  assert.deepEqual(strictProblems(typoInMeta), ['metadata.label']);
});

test('the Deployment keeps every hardening field, limit, probe and drain setting', () => {
  assert.deepEqual(hardeningProblems(only('Deployment') as K8sObject), []);
});

test('removing or weakening any single hardening field is reported', async (t) => {
  const deployment = only('Deployment') as K8sObject;
  const pod = ['spec', 'template', 'spec'];
  const c = [...pod, 'containers', 0];
  // [name, path, new value (undefined = delete), what the report must name]
  const cases: [string, (string | number)[], unknown, RegExp][] = [
    [
      'pod automountServiceAccountToken',
      [...pod, 'automountServiceAccountToken'],
      undefined,
      /^pod: automountServiceAccountToken/,
    ],
    ['pod runAsNonRoot', [...pod, 'securityContext', 'runAsNonRoot'], undefined, /^pod securityContext: runAsNonRoot/],
    ['pod runAsUser', [...pod, 'securityContext', 'runAsUser'], 0, /^pod securityContext: runAsUser/],
    ['pod runAsGroup', [...pod, 'securityContext', 'runAsGroup'], undefined, /^pod securityContext: runAsGroup/],
    [
      'pod seccompProfile',
      [...pod, 'securityContext', 'seccompProfile'],
      undefined,
      /^pod securityContext: seccompProfile/,
    ],
    ['hostNetwork', [...pod, 'hostNetwork'], true, /^pod: hostNetwork/],
    [
      'container runAsNonRoot',
      [...c, 'securityContext', 'runAsNonRoot'],
      false,
      /^container ai-proxy securityContext: runAsNonRoot/,
    ],
    [
      'container runAsUser',
      [...c, 'securityContext', 'runAsUser'],
      undefined,
      /^container ai-proxy securityContext: runAsUser/,
    ],
    [
      'container runAsGroup',
      [...c, 'securityContext', 'runAsGroup'],
      0,
      /^container ai-proxy securityContext: runAsGroup/,
    ],
    [
      'container seccompProfile',
      [...c, 'securityContext', 'seccompProfile', 'type'],
      'Unconfined',
      /^container ai-proxy securityContext: seccompProfile/,
    ],
    [
      'readOnlyRootFilesystem',
      [...c, 'securityContext', 'readOnlyRootFilesystem'],
      undefined,
      /readOnlyRootFilesystem/,
    ],
    [
      'allowPrivilegeEscalation',
      [...c, 'securityContext', 'allowPrivilegeEscalation'],
      undefined,
      /allowPrivilegeEscalation/,
    ],
    ['privileged', [...c, 'securityContext', 'privileged'], true, /privileged/],
    ['capabilities drop', [...c, 'securityContext', 'capabilities', 'drop'], [], /capabilities\.drop/],
    ['capabilities add', [...c, 'securityContext', 'capabilities', 'add'], ['NET_ADMIN'], /capabilities\.add/],
    ['memory limit', [...c, 'resources', 'limits', 'memory'], undefined, /memory request and limit/],
    ['cpu limit', [...c, 'resources', 'limits', 'cpu'], '2', /cpu request and limit/],
    ['liveness probe', [...c, 'livenessProbe'], undefined, /livenessProbe must GET/],
    ['readiness path', [...c, 'readinessProbe', 'httpGet', 'path'], '/health/live', /readinessProbe must GET/],
    ['probe port', [...c, 'readinessProbe', 'httpGet', 'port'], 9090, /readinessProbe must use port/],
    ['PORT env', [...c, 'env', 0, 'value'], '9090', /env PORT/],
    ['grace period', [...pod, 'terminationGracePeriodSeconds'], 10, /terminationGracePeriodSeconds/],
    ['config mount writable', [...c, 'volumeMounts', 0, 'readOnly'], undefined, /mount \/app\/config must be readOnly/],
    ['/tmp not in memory', [...pod, 'volumes', 1, 'emptyDir', 'medium'], undefined, /\/tmp must be an emptyDir/],
    [
      '/tmp without size limit',
      [...pod, 'volumes', 1, 'emptyDir', 'sizeLimit'],
      undefined,
      /\/tmp must be an emptyDir/,
    ],
    [
      '/tmp not mounted',
      [...c, 'volumeMounts'],
      [{ name: 'config', mountPath: '/app/config', readOnly: true }],
      /\/tmp must be mounted/,
    ],
    ['hostPath volume', [...pod, 'volumes', 2], { name: 'host', hostPath: { path: '/' } }, /hostPath/],
  ];
  for (const [name, path, value, expected] of cases) {
    await t.test(name, () => {
      const problems = hardeningProblems(mutate(deployment, path, value));
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${name}: not reported as ${expected} (got ${JSON.stringify(problems)})`,
      );
    });
  }
});

test('every object lives in the ai-proxy namespace, which enforces the restricted pod security standard', () => {
  const ns = only('Namespace');
  assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  for (const { file, object } of docs) {
    if (object.kind !== 'Namespace')
      assert.equal(object.metadata.namespace, ns.metadata.name, `${file}: ${object.kind} namespace`);
  }
});

test('kustomization.yaml applies every manifest except the Secret template, in the right namespace and image', () => {
  const k = loadKustomization();
  assert.deepEqual(
    [...(k.resources ?? [])].sort(),
    manifestFiles().filter((f) => f !== SECRET_TEMPLATE),
  );
  assert.equal(k.namespace, only('Namespace').metadata.name);
  const image: string = only('Deployment').spec.template.spec.containers[0].image;
  assert.deepEqual(
    k.images?.map((i) => i.name),
    [image.split(':')[0]],
    "the images entry must name the Deployment's placeholder image",
  );
});

test('the Service, PodDisruptionBudget, HorizontalPodAutoscaler and ServiceAccount point at the Deployment', () => {
  const deployment = only('Deployment');
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const matches = (selector: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => pod.metadata.labels[k] === v);
  assert.ok(matches(deployment.spec.selector.matchLabels), 'Deployment selector vs pod labels');
  assert.equal(deployment.spec.replicas, undefined, 'replicas is owned by the HorizontalPodAutoscaler');

  const service = only('Service');
  assert.ok(matches(service.spec.selector), 'Service selector vs pod labels');
  for (const p of service.spec.ports)
    assert.ok(
      container.ports.some((cp: Obj) => cp.name === p.targetPort),
      `Service targetPort ${p.targetPort} is no container port`,
    );

  const pdb = only('PodDisruptionBudget');
  assert.ok(matches(pdb.spec.selector.matchLabels), 'PodDisruptionBudget selector vs pod labels');

  const hpa = only('HorizontalPodAutoscaler');
  assert.deepEqual(hpa.spec.scaleTargetRef, {
    apiVersion: deployment.apiVersion,
    kind: 'Deployment',
    name: deployment.metadata.name,
  });
  assert.ok(hpa.spec.minReplicas >= 2, 'at least two pods, so one serves while another restarts');
  assert.ok(pdb.spec.minAvailable < hpa.spec.minReplicas, 'the budget must allow one eviction at the minimum size');
  assert.ok(container.resources.requests.cpu, 'CPU utilization scaling needs a CPU request');

  const sa = only('ServiceAccount');
  assert.equal(pod.spec.serviceAccountName, sa.metadata.name);
  assert.equal(sa.automountServiceAccountToken, false);
});

test('the ConfigMap holds a provider-config.yaml the proxy loads without any .env file', () => {
  const deployment = only('Deployment');
  const cm = only('ConfigMap');
  const volume = deployment.spec.template.spec.volumes.find((v: Obj) => v.configMap);
  assert.equal(volume.configMap.name, cm.metadata.name);
  const mount = deployment.spec.template.spec.containers[0].volumeMounts.find((m: Obj) => m.name === volume.name);
  const configDir = deployment.spec.template.spec.containers[0].env.find(
    (e: Obj) => e.name === 'AI_PROXY_CONFIG_DIR',
  ).value;
  assert.equal(mount.mountPath, configDir);
  assert.deepEqual(
    volume.configMap.items.map((i: Obj) => i.path),
    ['provider-config.yaml'],
  );

  const text: string = cm.data['provider-config.yaml'];
  parseProviderConfig(text, 'provider-config.yaml');
  // The same loader the proxy runs, on a folder shaped like the mounted one: no .env, the
  // token from the environment (as envFrom gives it).
  const dir = mkdtempSync(join(tmpdir(), 'aip-deploy-k8s-'));
  try {
    writeFileSync(join(dir, 'provider-config.yaml'), text);
    const loaded = loadConfig(dir, { AUTH_TOKEN: 'k'.repeat(40), PORT: '8080' });
    assert.equal(loaded.env.port, 8080);
    assert.ok(
      loaded.providers.some((p) => !p.unusable),
      'at least one usable provider, or the pods never become ready',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Secret template is what the pods read, and its placeholder token is refused by the proxy', () => {
  const secret = only('Secret', SECRET_TEMPLATE);
  const container = only('Deployment').spec.template.spec.containers[0];
  assert.deepEqual(container.envFrom, [{ secretRef: { name: secret.metadata.name } }]);
  const keys = Object.keys(secret.stringData);
  assert.ok(keys.includes('AUTH_TOKEN'));
  // Every ${NAME} the commented provider examples use has a slot in the template.
  const referenced = [...(only('ConfigMap').data['provider-config.yaml'] as string).matchAll(/\$\{(\w+)\}/g)].map(
    (m) => m[1],
  );
  for (const name of referenced)
    assert.ok(keys.includes(name!), `${name} is referenced in the ConfigMap but missing from the Secret template`);
  assert.throws(() => validateEnv({ AUTH_TOKEN: secret.stringData.AUTH_TOKEN }), EnvError);
});
