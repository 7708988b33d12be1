// The container image definition (Dockerfile, docs/deployment.md "The image"). No container engine
// runs here, so these tests check what can be checked without building it: its settings are
// options the Core and the Worker read, it starts the `fl` commands the manifests name, as the user
// the manifests run as, from files the build context holds.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { coreOptionsFromEnv } from '@funless/core';

import { createProgram } from '../../src/program.js';
import { memoryIo } from '../support/memory-io.js';
import { CORE_VARIABLES, KUBERNETES_DIR, parseManifests, REPO_ROOT, WORKER_VARIABLES } from './manifests.js';
import type { Manifest } from './manifests.js';

type Instruction = { op: string; args: string };

/** The Dockerfile's instructions, continuation lines joined, comments left out. */
function instructions(): Instruction[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [op, ...rest] = line.trim().split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the last stage: the image that runs. */
function runtimeStage(): Instruction[] {
  const all = instructions();
  const last = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(last);
}

const workloads = (): Manifest[] =>
  [
    'base/core-deployment.yaml',
    'workers/daemonset/worker-daemonset.yaml',
    'workers/deployment/worker-deployment.yaml',
  ].flatMap((f) => parseManifests(readFileSync(join(KUBERNETES_DIR, f), 'utf8'), f));

test("the image's settings are variables the Core or the Worker read, with values the Core accepts", () => {
  const env: Record<string, string> = {};
  for (const { args } of runtimeStage().filter((i) => i.op === 'ENV'))
    for (const [, name, value] of args.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
  assert.ok(Object.keys(env).length > 0, 'no ENV in the runtime stage');
  for (const name of Object.keys(env))
    assert.ok(CORE_VARIABLES.has(name) || WORKER_VARIABLES.has(name), `${name} is read by neither`);
  assert.equal(coreOptionsFromEnv(env).host, '0.0.0.0');
});

test('the image starts the fl command, and the manifests start commands fl has', () => {
  const stage = runtimeStage();
  const entrypoint = JSON.parse(stage.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
  const cmd = JSON.parse(stage.find((i) => i.op === 'CMD')!.args) as string[];
  const bin = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as { bin: { fl: string } }
  ).bin.fl;
  assert.deepEqual(entrypoint, [join('/app/packages/cli', bin)]);
  const workdir = stage.find((i) => i.op === 'WORKDIR')!.args;
  assert.equal(workdir, '/app');
  const commands = createProgram(memoryIo({}, REPO_ROOT)).commands.map((c) => c.name());
  for (const args of [cmd, ...workloads().map((w) => w.spec.template.spec.containers[0].args as string[])])
    assert.ok(commands.includes(args[0]!), `fl has no command ${args[0]}`);
});

test('the image runs as the non-root user the manifests run as, and owns its data directory', () => {
  const stage = runtimeStage();
  const user = stage.find((i) => i.op === 'USER')!.args;
  assert.match(user, /^\d+:\d+$/, 'a numeric user, so that runAsNonRoot can check it');
  const [uid, gid] = user.split(':').map(Number);
  assert.notEqual(uid, 0);
  for (const workload of workloads()) {
    const security = workload.spec.template.spec.securityContext;
    assert.equal(security.runAsUser, uid, workload.metadata.name);
    assert.equal(security.runAsGroup, gid, workload.metadata.name);
  }
  const env = stage.find((i) => i.op === 'ENV')!.args;
  const dataDir = /FL_DATA_DIR=(\S+)/.exec(env)![1]!;
  assert.ok(
    stage.some(
      (i) => i.op === 'RUN' && i.args.includes(`mkdir -p ${dataDir}`) && i.args.includes(`chown -R ${user}`),
    ),
    `the image makes ${dataDir} and gives it to ${user}`,
  );
});

test('every file the image copies from the build context exists and is not left out by .dockerignore', () => {
  const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const sources = instructions()
    .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
    .flatMap((i) => i.args.split(' ').slice(0, -1));
  assert.ok(sources.length > 0);
  for (const source of sources) {
    assert.ok(existsSync(join(REPO_ROOT, source)), `${source} does not exist`);
    const top = source.split('/')[0]!;
    assert.ok(
      !ignored.some((pattern) => pattern === source || pattern === top),
      `.dockerignore leaves out ${source}`,
    );
  }
});

test("the image's Node.js version is one the packages run on", () => {
  const arg = instructions().find((i) => i.op === 'ARG' && i.args.startsWith('NODE_VERSION='))!;
  const major = Number(arg.args.split('=')[1]);
  const engines = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
  ).engines.node;
  const minimum = Number(/>=\s*(\d+)/.exec(engines)![1]);
  assert.ok(major >= minimum, `node ${major} is older than the engines' ${engines}`);
});
