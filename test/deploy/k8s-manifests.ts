// Loads deploy/kubernetes: every YAML document of every file, with the kubernetes-models class
// and .d.ts that describe its apiVersion/kind.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';

export const ROOT = join(import.meta.dirname, '..', '..');
export const K8S_DIR = join(ROOT, 'deploy', 'kubernetes');
export const NODE_MODULES = join(ROOT, 'node_modules');

interface Validatable {
  validate(): void;
}
interface ModelEntry {
  create: (data: unknown) => Validatable;
  /** The .d.ts file of the model, for the unknown-field check. */
  dts: string;
}

const model = (Cls: new (data?: never) => Validatable, dir: string): ModelEntry => ({
  create: (data) => new Cls(data as never),
  dts: join(NODE_MODULES, 'kubernetes-models', dir, `${Cls.name}.d.ts`),
});

/** Every kind the manifests may use; anything else is a test failure, not a silent pass. */
export const MODELS: Record<string, ModelEntry> = {
  'v1/Namespace': model(Namespace, 'v1'),
  'v1/ServiceAccount': model(ServiceAccount, 'v1'),
  'v1/ConfigMap': model(ConfigMap, 'v1'),
  'v1/Secret': model(Secret, 'v1'),
  'v1/Service': model(Service, 'v1'),
  'apps/v1/Deployment': model(Deployment, 'apps/v1'),
  'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget, 'policy/v1'),
  'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler, 'autoscaling/v2'),
};

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface LoadedDoc {
  file: string;
  object: K8sObject;
}

export const KUSTOMIZATION = 'kustomization.yaml';

export function manifestFiles(): string[] {
  return readdirSync(K8S_DIR)
    .filter((f) => f.endsWith('.yaml') && f !== KUSTOMIZATION)
    .sort();
}

/** Parses every document; a YAML syntax error throws with the file name. */
export function loadManifests(): LoadedDoc[] {
  const docs: LoadedDoc[] = [];
  for (const file of manifestFiles()) {
    for (const doc of parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const object = doc.toJS() as K8sObject | null;
      if (object !== null) docs.push({ file, object });
    }
  }
  return docs;
}

export function loadKustomization(): {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
} {
  const doc = parseAllDocuments(readFileSync(join(K8S_DIR, KUSTOMIZATION), 'utf8'))[0];
  if (!doc || Array.isArray(doc) || doc.errors.length > 0)
    throw new Error(`${KUSTOMIZATION}: not one valid YAML document`);
  return doc.toJS();
}

export function modelKey(o: { apiVersion: string; kind: string }): string {
  return `${o.apiVersion}/${o.kind}`;
}
