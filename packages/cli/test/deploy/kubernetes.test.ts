// The Kubernetes manifests (deploy/kubernetes, docs/deployment.md): valid by the Kubernetes API
// schemas, offline; rendered overlays whose references resolve; configuration the Core and the
// Worker accept; probes a real Core answers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseEnv } from 'node:util';

import { coreOptionsFromEnv, startCore } from '@funless/core';
import { loadClusterSecret } from '@funless/protocol';
import { discoveryFromEnv, runtimeOptionsFromEnv, workerIdentityFromEnv } from '@funless/worker';

import { tempDir } from '../support/temp-dir.js';
import {
  CORE_VARIABLES,
  KUBERNETES_DIR,
  kubectlVersion,
  kubernetesFiles,
  overlays,
  parseManifests,
  renderOverlay,
  schemaProblems,
  WORKER_VARIABLES,
} from './manifests.js';
import type { Manifest, Yaml } from './manifests.js';

/**
 * Resident memory measured at its peak under load (`npm run bench -- memory`, on PostgreSQL; the
 * figures and the command are in docs/deployment.md, "Resources"), in MiB.
 */
const MEASURED_PEAK_MIB = { core: 139, worker: 114 };

/** Values for secrets.env that the Core and the Worker accept. */
const SECRETS = {
  'cluster-secret': 'a'.repeat(64),
  'admin-token': 'b'.repeat(64),
  'database-url': 'postgres://funless:pw@funless-postgres:5432/funless',
  'postgres-password': 'pw',
};

const KUSTOMIZE_KINDS = new Set(['Kustomization']);

function manifestsIn(path: string): Manifest[] {
  return parseManifests(readFileSync(join(KUBERNETES_DIR, path), 'utf8'), path);
}

function one(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name.startsWith(name));
  assert.ok(found, `no ${kind} ${name}`);
  return found;
}

type Container = {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: Yaml }[];
  envFrom?: { configMapRef?: { name: string } }[];
  resources?: Yaml;
  securityContext?: Yaml;
  [key: string]: Yaml;
};

const containersOf = (workload: Manifest): Container[] => workload.spec.template.spec.containers;

/**
 * The environment a container gets: its ConfigMaps' data, then its own `env`, with the Secret's
 * values from `secrets` and the downward API's fields as a sample name.
 */
function containerEnv(container: Container, configMaps: Manifest[], secrets: Record<string, string>) {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const map = configMaps.find((m) => m.metadata.name === from.configMapRef?.name);
    assert.ok(map, `ConfigMap ${from.configMapRef?.name} not found`);
    Object.assign(env, map.data);
  }
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (value !== undefined) env[name] = value;
    else if (valueFrom?.secretKeyRef) {
      const secret = secrets[valueFrom.secretKeyRef.key];
      assert.ok(secret !== undefined, `${name}: no key ${valueFrom.secretKeyRef.key} in secrets.env`);
      env[name] = secret;
    } else if (valueFrom?.fieldRef) env[name] = 'node-1';
    else assert.fail(`${name}: a value this test does not know how to fill`);
  }
  return env;
}

const base = () => ({
  configMaps: manifestsIn('base/config.yaml'),
  core: one(manifestsIn('base/core-deployment.yaml'), 'Deployment', 'funless-core'),
  daemonSet: one(manifestsIn('workers/daemonset/worker-daemonset.yaml'), 'DaemonSet', 'funless-worker'),
  workerDeployment: one(
    manifestsIn('workers/deployment/worker-deployment.yaml'),
    'Deployment',
    'funless-worker',
  ),
});

test('every manifest under deploy/kubernetes matches the Kubernetes API schema of its kind', () => {
  const files = kubernetesFiles();
  assert.ok(files.length >= 10, `only ${files.length} YAML files found under ${KUBERNETES_DIR}`);
  let objects = 0;
  for (const file of files) {
    for (const manifest of parseManifests(file.text, file.path)) {
      if (KUSTOMIZE_KINDS.has(manifest.kind)) continue;
      assert.deepEqual(
        schemaProblems(manifest),
        [],
        `${file.path}: ${manifest.kind} ${manifest.metadata?.name}`,
      );
      objects += 1;
    }
  }
  assert.ok(objects >= 10, `only ${objects} objects checked`);
});

test('the schema check finds a wrong type, a missing required field and a misspelt field', () => {
  const { core } = base();
  const typo = structuredClone(core);
  typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
  assert.deepEqual(schemaProblems(typo), [
    '/spec/template/spec/containers/0/readinesProbe: not a field of Deployment at this place',
  ]);
  const wrongType = structuredClone(core);
  wrongType.spec.replicas = 'two';
  assert.match(schemaProblems(wrongType).join(), /spec\/replicas must be integer/);
  const missing = structuredClone(core);
  delete missing.spec.selector;
  assert.match(schemaProblems(missing).join(), /spec must have required property selector/);
  // Maps (labels, ConfigMap data) take any key.
  const labels = structuredClone(core);
  labels.spec.template.metadata.labels.team = 'platform';
  assert.deepEqual(schemaProblems(labels), []);
});

test('the Core: 2 replicas, probes on GET /v1/ and GET /v1/ready, a headless Service and a disruption budget', () => {
  const { core } = base();
  assert.equal(core.spec.replicas, 2);
  const [container] = containersOf(core);
  assert.deepEqual(container!.args, ['core']);
  assert.equal(container!.livenessProbe.httpGet.path, '/v1/');
  assert.equal(container!.readinessProbe.httpGet.path, '/v1/ready');
  const peers = one(manifestsIn('base/core-peers-service.yaml'), 'Service', 'funless-core-peers');
  assert.equal(peers.spec.clusterIP, 'None');
  assert.equal(peers.spec.publishNotReadyAddresses, true, 'Workers stay joined to Cores that are not ready');
  assert.deepEqual(peers.spec.selector, core.spec.template.metadata.labels);
  const pdb = one(manifestsIn('base/core-pdb.yaml'), 'PodDisruptionBudget', 'funless-core');
  assert.deepEqual(pdb.spec.selector.matchLabels, core.spec.selector.matchLabels);
  assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < core.spec.replicas);
});

test("a Core answers its manifest's probes with 200", async (t) => {
  const { dir, cleanup } = await tempDir('fl-deploy-probes-');
  t.after(cleanup);
  const core = await startCore({ port: 0, dataDir: dir, logLevel: 'silent' });
  t.after(() => core.close());
  const [container] = containersOf(base().core);
  const probes = ['startupProbe', 'livenessProbe', 'readinessProbe'];
  for (const probe of probes) {
    const { path, port } = container![probe].httpGet;
    assert.ok(
      container!.ports.some((p: { name: string }) => p.name === port),
      `${probe}: no container port ${port}`,
    );
    const res = await fetch(new URL(path, core.url));
    assert.equal(res.status, 200, `${probe} GET ${path}: ${res.status} ${await res.text()}`);
  }
});

test('the Core accepts its configuration and reads only variables that are its options', () => {
  const { configMaps, core } = base();
  const [container] = containersOf(core);
  const env = containerEnv(container!, configMaps, SECRETS);
  for (const name of Object.keys(env)) assert.ok(CORE_VARIABLES.has(name), `${name} is not a Core variable`);
  const options = coreOptionsFromEnv(env);
  assert.equal(options.host, '0.0.0.0');
  assert.equal(options.port, container!.ports[0].containerPort);
  assert.equal(options.databaseUrl, SECRETS['database-url']);
  // A stopping Core finishes its requests before Kubernetes kills it.
  assert.ok(options.shutdownTimeoutMs < core.spec.template.spec.terminationGracePeriodSeconds * 1000);
});

test('a Worker accepts its configuration and finds the Cores through the headless Service', async () => {
  const { configMaps, daemonSet } = base();
  const peers = one(manifestsIn('base/core-peers-service.yaml'), 'Service', 'funless-core-peers');
  const [container] = containersOf(daemonSet);
  assert.deepEqual(container!.args, ['worker']);
  const env = containerEnv(container!, configMaps, SECRETS);
  for (const name of Object.keys(env))
    assert.ok(WORKER_VARIABLES.has(name), `${name} is not a Worker variable`);
  const resolved: string[] = [];
  const discovery = discoveryFromEnv(env, {
    secret: env.FL_CLUSTER_SECRET!,
    resolve: (hostname) => {
      resolved.push(hostname);
      return Promise.resolve(['10.0.0.1', '10.0.0.2']);
    },
  });
  await discovery.start();
  try {
    assert.equal(discovery.kind, 'dns');
    assert.deepEqual(resolved, [peers.metadata.name]);
    const port = peers.spec.ports[0].port;
    assert.deepEqual([...discovery.urls()].sort(), [`ws://10.0.0.1:${port}`, `ws://10.0.0.2:${port}`].sort());
  } finally {
    await discovery.close();
  }
  assert.equal(runtimeOptionsFromEnv(env).threads, Number(env.FL_WORKER_THREADS));
  assert.equal(workerIdentityFromEnv(env).name, 'node-1');
});

test("the Workers' DaemonSet and Deployment run the same pod, named after the node or the pod", () => {
  const { daemonSet, workerDeployment } = base();
  const nameSource = (m: Manifest) =>
    containersOf(m)[0]!.env!.find((e) => e.name === 'FL_WORKER_NAME')!.valueFrom.fieldRef.fieldPath;
  assert.equal(nameSource(daemonSet), 'spec.nodeName');
  assert.equal(nameSource(workerDeployment), 'metadata.name');
  const withoutName = (m: Manifest) => {
    const template = structuredClone(m.spec.template);
    template.spec.containers[0].env = template.spec.containers[0].env.filter(
      (e: { name: string }) => e.name !== 'FL_WORKER_NAME',
    );
    return template;
  };
  assert.deepEqual(withoutName(workerDeployment), withoutName(daemonSet));
});

test('memory requests and limits cover the measured peaks, and a Worker offers functions what its limit leaves', () => {
  const { configMaps, core, daemonSet } = base();
  const mib = (quantity: string) => {
    const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
    assert.ok(match, `memory quantity ${quantity}: write it in Mi or Gi`);
    return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
  };
  const coreResources = containersOf(core)[0]!.resources;
  assert.ok(mib(coreResources.requests.memory) >= MEASURED_PEAK_MIB.core);
  assert.ok(mib(coreResources.limits.memory) >= 2 * MEASURED_PEAK_MIB.core);
  const worker = containersOf(daemonSet)[0]!;
  const env = containerEnv(worker, configMaps, SECRETS);
  const offered = Number(env.FL_WORKER_MEMORY_MIB);
  assert.ok(offered > 0);
  assert.ok(
    mib(worker.resources.limits.memory) - offered >= MEASURED_PEAK_MIB.worker,
    `limit ${worker.resources.limits.memory} minus ${offered} MiB offered leaves less than the Worker's own ${MEASURED_PEAK_MIB.worker} MiB`,
  );
});

test("secrets.env.example's placeholders stop the Core and the Worker with a message naming the value", async () => {
  const example = parseEnv(readFileSync(join(KUBERNETES_DIR, 'secrets.env.example'), 'utf8'));
  assert.deepEqual(Object.keys(example).sort(), Object.keys(SECRETS).sort());
  assert.throws(() => coreOptionsFromEnv({ FL_ADMIN_TOKEN: example['admin-token'] }), /FL_ADMIN_TOKEN/);
  await assert.rejects(
    loadClusterSecret({ secret: example['cluster-secret'], dataDir: '/nonexistent', create: false }),
    /FL_CLUSTER_SECRET.*at least 16/,
  );
});

const kubectl = kubectlVersion();
for (const overlay of overlays()) {
  test(
    `overlay ${overlay}: renders with kustomize, every object valid, every reference resolved, every pod restricted`,
    { skip: kubectl === undefined && 'kubectl (which carries kustomize) is not on the PATH' },
    (t) => {
      t.diagnostic(`kubectl: ${kubectl}`);
      const objects = renderOverlay(overlay, SECRETS);
      for (const object of objects) {
        assert.deepEqual(schemaProblems(object), [], `${object.kind} ${object.metadata.name}`);
        if (object.kind !== 'Namespace')
          assert.equal(object.metadata.namespace, 'funless', object.metadata.name);
      }
      const workloads = objects.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind));
      const kinds = workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort();
      assert.ok(kinds.includes('Deployment/funless-core'), kinds.join());
      assert.ok(
        kinds.some((k) => k.endsWith('/funless-worker')),
        kinds.join(),
      );
      for (const workload of workloads) {
        const pod = workload.spec.template;
        const what = `${workload.kind} ${workload.metadata.name}`;
        assert.equal(pod.spec.securityContext.runAsNonRoot, true, what);
        assert.equal(pod.spec.securityContext.seccompProfile.type, 'RuntimeDefault', what);
        for (const container of containersOf(workload)) {
          assert.equal(container.securityContext.allowPrivilegeEscalation, false, what);
          assert.equal(container.securityContext.readOnlyRootFilesystem, true, what);
          assert.deepEqual(container.securityContext.capabilities.drop, ['ALL'], what);
          assert.ok(container.resources.requests.memory && container.resources.limits.memory, what);
          for (const from of container.envFrom ?? []) one(objects, 'ConfigMap', from.configMapRef!.name);
          for (const entry of container.env ?? []) {
            const ref = entry.valueFrom?.secretKeyRef;
            if (ref === undefined) continue;
            const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref.name);
            assert.ok(
              secret,
              `${what}: ${entry.name} names Secret ${ref.name}, which the overlay does not make`,
            );
            assert.ok(ref.key in secret.data, `${what}: Secret ${ref.name} has no key ${ref.key}`);
          }
          const mounts = new Set(pod.spec.volumes?.map((v: { name: string }) => v.name));
          for (const claim of workload.spec.volumeClaimTemplates ?? []) mounts.add(claim.metadata.name);
          for (const mount of container.volumeMounts ?? [])
            assert.ok(mounts.has(mount.name), `${what}: no volume ${mount.name}`);
        }
      }
      for (const service of objects.filter((o) => o.kind === 'Service')) {
        const selected = workloads.filter((w) =>
          Object.entries(service.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
        );
        assert.equal(
          selected.length,
          1,
          `Service ${service.metadata.name} selects ${selected.length} workloads`,
        );
        const ports = containersOf(selected[0]!).flatMap((c) => c.ports ?? []);
        for (const port of service.spec.ports)
          assert.ok(
            ports.some((p: { name: string }) => p.name === port.targetPort),
            `Service ${service.metadata.name}: no container port ${port.targetPort}`,
          );
      }
    },
  );
}
