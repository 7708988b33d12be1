import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CLUSTER_ENV_VARIABLES, CORE_ENV_VARIABLES } from '@funless/core';
import { DISCOVERY_ENV } from '@funless/protocol';
import { RUNTIME_ENV_VARIABLES, WORKER_ENV_VARIABLES } from '@funless/worker';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

import { LOG_ENV_VARIABLES } from '../../src/logging/index.js';

/** The repository's root (this file is compiled to packages/cli/dist/test/deploy/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
export const KUBERNETES_DIR = join(REPO_ROOT, 'deploy', 'kubernetes');
export const SYSTEMD_DIR = join(REPO_ROOT, 'deploy', 'systemd');

/**
 * Every variable the Core reads (its options, its side of the cluster and of discovery, the log
 * format of `fl core`), taken from the constants its parsers use: a renamed variable fails here.
 */
export const CORE_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(CORE_ENV_VARIABLES),
  ...Object.values(CLUSTER_ENV_VARIABLES),
  DISCOVERY_ENV.mode,
  DISCOVERY_ENV.group,
  DISCOVERY_ENV.port,
  DISCOVERY_ENV.intervalMs,
  DISCOVERY_ENV.ttl,
  DISCOVERY_ENV.advertiseUrl,
  ...Object.values(LOG_ENV_VARIABLES),
]);

/** Every variable a Worker reads (`fl worker`): its own, its runtime's, discovery's, the log format. */
export const WORKER_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(WORKER_ENV_VARIABLES),
  ...Object.values(RUNTIME_ENV_VARIABLES),
  DISCOVERY_ENV.mode,
  DISCOVERY_ENV.group,
  DISCOVERY_ENV.port,
  DISCOVERY_ENV.maxAgeMs,
  DISCOVERY_ENV.coreUrl,
  DISCOVERY_ENV.coreDns,
  DISCOVERY_ENV.corePort,
  DISCOVERY_ENV.dnsIntervalMs,
  ...Object.values(LOG_ENV_VARIABLES),
]);

/**
 * A value parsed from YAML, which the tests walk with assertions (the schema check has typed it).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Yaml = any;

/** A Kubernetes object as parsed from YAML. */
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} & Record<string, Yaml>;

/** The schema (an OpenAPI-derived validator of `kubernetes-models`) of each kind the manifests use. */
const MODELS: Record<string, { prototype: { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/**
 * Wraps `value` so that the properties a validator reads, and the objects it lists the keys of
 * (maps such as labels), are recorded by path.
 */
function recorded(value: unknown, path: string, reads: Map<string, { keys: Set<string>; listed: boolean }>) {
  if (value === null || typeof value !== 'object') return value;
  const entry = { keys: new Set<string>(), listed: false };
  reads.set(path, entry);
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const inner = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== 'string') return inner;
      entry.keys.add(key);
      if (!children.has(key)) children.set(key, recorded(inner, `${path}/${key}`, reads));
      return children.get(key);
    },
    ownKeys(target) {
      entry.listed = true;
      return Reflect.ownKeys(target);
    },
  });
}

/**
 * What is wrong with one object by the Kubernetes API schema of its kind: the schema's errors
 * (types, required fields, formats), and fields the schema does not define. The validators that
 * `kubernetes-models` generates from the Kubernetes OpenAPI document, like that document, accept
 * unknown fields (the API server rejects them with strict field validation): each validator reads
 * every field its schema defines, so a field of the manifest it never read is unknown to it.
 */
export function schemaProblems(manifest: Manifest): string[] {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (model === undefined) return [`no schema here for ${manifest.apiVersion} ${manifest.kind}`];
  const reads = new Map<string, { keys: Set<string>; listed: boolean }>();
  try {
    model.prototype.validate.call(recorded(manifest, '', reads));
  } catch (error) {
    return [(error as Error).message];
  }
  const problems: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}/${i}`));
      return;
    }
    const entry = reads.get(path);
    for (const [key, inner] of Object.entries(value)) {
      if (entry !== undefined && !entry.listed && !entry.keys.has(key))
        problems.push(`${path}/${key}: not a field of ${manifest.kind} at this place`);
      else walk(inner, `${path}/${key}`);
    }
  };
  walk(manifest, '');
  return problems;
}

/** The objects of a YAML stream; fails on a YAML error. */
export function parseManifests(text: string, source: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((doc): doc is Manifest => doc !== null);
}

/** Every YAML file under deploy/kubernetes, relative path first. */
export function kubernetesFiles(): { path: string; text: string }[] {
  return readdirSync(KUBERNETES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: f, text: readFileSync(join(KUBERNETES_DIR, f), 'utf8') }));
}

/** The overlays one installs (deploy/kubernetes/overlays/*). */
export function overlays(): string[] {
  return readdirSync(join(KUBERNETES_DIR, 'overlays')).sort();
}

/** `kubectl` when it is on the PATH (it carries kustomize), else undefined. */
export function kubectlVersion(): string | undefined {
  const run = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim().replaceAll('\n', ', ') : undefined;
}

/**
 * Renders an overlay with `kubectl kustomize`, as `kubectl apply -k` would, from a copy of
 * deploy/kubernetes with the overlay's secrets.env written from `secrets`.
 */
export function renderOverlay(overlay: string, secrets: Record<string, string>): Manifest[] {
  const dir = mkdtempSync(join(tmpdir(), 'fl-deploy-'));
  try {
    cpSync(KUBERNETES_DIR, dir, { recursive: true });
    const overlayDir = join(dir, 'overlays', overlay);
    writeFileSync(
      join(overlayDir, 'secrets.env'),
      Object.entries(secrets)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    const run = spawnSync('kubectl', ['kustomize', overlayDir], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`kubectl kustomize ${relative(dir, overlayDir)}: ${run.stderr}`);
    const objects = parseManifests(run.stdout, `overlays/${overlay}`);
    // kustomize folds a long base64 value over lines, which the API server's decoder skips and the
    // schema's `byte` format does not.
    for (const secret of objects.filter((o) => o.kind === 'Secret'))
      for (const key of Object.keys(secret.data ?? {}))
        secret.data[key] = secret.data[key].replace(/\s/g, '');
    return objects;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
