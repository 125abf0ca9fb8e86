// `kubectl kustomize deploy/kubernetes` (kustomize built into kubectl, no cluster needed): what
// `kubectl apply -k` would send. Skipped, with the reason, where kubectl is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import {
  K8S_DIR,
  loadKustomization,
  loadManifests,
  MODELS,
  modelKey,
  NODE_MODULES,
  type K8sObject,
} from './k8s-manifests.ts';
import { hardeningProblems } from './k8s-hardening.ts';
import { unknownFields } from './k8s-strict-fields.ts';

const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const skip = probe.error
  ? `kubectl not installed (${(probe.error as NodeJS.ErrnoException).code}); the kustomize build is not checked`
  : false;

test('kubectl kustomize renders valid, hardened objects with the registry image', { skip }, () => {
  const run = spawnSync('kubectl', ['kustomize', K8S_DIR], { encoding: 'utf8' });
  assert.equal(run.status, 0, `kubectl kustomize failed: ${run.stderr}`);
  const rendered = parseAllDocuments(run.stdout).map((d) => d.toJS() as K8sObject);

  const sources = loadManifests().filter((d) => d.file !== 'secret.template.yaml');
  assert.deepEqual(
    rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    sources.map((d) => `${d.object.kind}/${d.object.metadata.name}`).sort(),
  );
  for (const o of rendered) {
    const entry = MODELS[modelKey(o)];
    assert.ok(entry, `${modelKey(o)} unknown`);
    entry.create(o).validate();
    assert.deepEqual(unknownFields(o, entry.dts, NODE_MODULES), [], `${o.kind}: unknown fields`);
  }
  const deployment = rendered.find((o) => o.kind === 'Deployment')!;
  assert.deepEqual(hardeningProblems(deployment), []);
  const image = loadKustomization().images![0]!;
  assert.equal((deployment as any).spec.template.spec.containers[0].image, `${image.newName}:${image.newTag}`);
});
