// The systemd units (deploy/systemd, docs/deployment.md): checked by systemd-analyze, hardened,
// configured with variables the Core and the Worker read and values they accept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseEnv } from 'node:util';

import { coreOptionsFromEnv } from '@funless/core';
import { discoveryFromEnv, runtimeOptionsFromEnv, workerIdentityFromEnv } from '@funless/worker';

import { CORE_VARIABLES, REPO_ROOT, SYSTEMD_DIR, WORKER_VARIABLES } from './manifests.js';

/** Where the units expect the built repository (docs/deployment.md, "systemd"). */
const INSTALL_DIR = '/opt/funless/';
/**
 * Highest exposure `systemd-analyze security` may give a unit, ×10 (its `--threshold` scale):
 * 0 is fully locked down, 10 (100) not at all. The units score 1.7 with systemd 252.
 */
const EXPOSURE_THRESHOLD = 25;

const UNITS = [
  { file: 'funless-core.service', command: 'core', envFile: 'core.env.example', variables: CORE_VARIABLES },
  {
    file: 'funless-worker.service',
    command: 'worker',
    envFile: 'worker.env.example',
    variables: WORKER_VARIABLES,
  },
] as const;

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze =
  analyze.error === undefined ? false : 'systemd-analyze is not installed (Debian package systemd)';

/** The unit's text with the install directory pointed at this repository, so that ExecStart exists. */
function unitHere(
  file: string,
  edit: (text: string) => string = (t) => t,
): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fl-systemd-'));
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(join(SYSTEMD_DIR, file), 'utf8').replaceAll(INSTALL_DIR, REPO_ROOT)));
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function verify(path: string) {
  return spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
}

/** `Key=value` settings of a unit file's [Service] section, in order. */
function serviceSettings(text: string): [string, string][] {
  const section = /^\[Service\]$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

for (const unit of UNITS) {
  test(`${unit.file}: systemd-analyze verify finds nothing to say`, { skip: noAnalyze }, (t) => {
    t.diagnostic(analyze.stdout?.split('\n')[0] ?? '');
    const { path, cleanup } = unitHere(unit.file);
    t.after(cleanup);
    const run = verify(path);
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
  });

  test(
    `${unit.file}: systemd-analyze security rates it below ${EXPOSURE_THRESHOLD / 10}`,
    { skip: noAnalyze },
    (t) => {
      const { path, cleanup } = unitHere(unit.file);
      t.after(cleanup);
      const run = spawnSync(
        'systemd-analyze',
        ['security', '--offline=yes', `--threshold=${EXPOSURE_THRESHOLD}`, '--no-pager', path],
        { encoding: 'utf8' },
      );
      assert.equal(run.status, 0, `${run.stdout.split('\n').at(-2)}\n${run.stderr}`);
    },
  );

  test(`${unit.file}: runs fl ${unit.command} from the install directory, as a dynamic user with its state directory`, () => {
    const settings = serviceSettings(readFileSync(join(SYSTEMD_DIR, unit.file), 'utf8'));
    const get = (key: string) => settings.filter(([k]) => k === key).map(([, v]) => v);
    const [exec] = get('ExecStart');
    assert.equal(exec, `${INSTALL_DIR}packages/cli/bin/fl.js ${unit.command}`);
    const bin = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as {
        bin: { fl: string };
      }
    ).bin.fl;
    assert.equal(
      join(REPO_ROOT, exec.split(' ')[0]!.slice(INSTALL_DIR.length)),
      join(REPO_ROOT, 'packages/cli', bin),
    );
    assert.ok(existsSync(join(REPO_ROOT, 'packages/cli', bin)));
    assert.deepEqual(get('DynamicUser'), ['yes']);
    assert.deepEqual(get('NoNewPrivileges'), ['yes']);
    assert.deepEqual(get('ProtectSystem'), ['strict']);
    const [state] = get('StateDirectory');
    assert.match(get('Environment').join(' '), new RegExp(`FL_DATA_DIR=%S/${state}( |$)`));
  });

  test(`${unit.file} and ${unit.envFile}: every variable is one fl ${unit.command} reads, with a value it accepts`, () => {
    const settings = serviceSettings(readFileSync(join(SYSTEMD_DIR, unit.file), 'utf8'));
    const fromUnit = Object.fromEntries(
      settings
        .filter(([k]) => k === 'Environment')
        .flatMap(([, v]) => v.split(' '))
        .map((pair) => pair.split('=') as [string, string]),
    );
    const fromFile = parseEnv(readFileSync(join(SYSTEMD_DIR, unit.envFile), 'utf8'));
    const env: Record<string, string | undefined> = { ...fromFile, ...fromUnit };
    for (const name of Object.keys(env))
      assert.ok(unit.variables.has(name), `${name} is not read by fl ${unit.command}`);
    assert.equal(env.FL_CLUSTER_SECRET, 'CHANGE-ME', 'the example leaves the secret to the user');
    env.FL_CLUSTER_SECRET = 'c'.repeat(64);
    env.FL_DATA_DIR = '/var/lib/state';
    if (unit.command === 'core') {
      assert.equal(coreOptionsFromEnv(env).host, '0.0.0.0');
    } else {
      assert.equal(discoveryFromEnv(env, { secret: env.FL_CLUSTER_SECRET }).kind, 'static');
      runtimeOptionsFromEnv(env);
      workerIdentityFromEnv(env);
    }
  });
}

test(
  'systemd-analyze verify reports a misspelt directive (what the checks above rely on)',
  { skip: noAnalyze },
  (t) => {
    const { path, cleanup } = unitHere('funless-core.service', (text) => text.replace('UMask=', 'UMsk='));
    t.after(cleanup);
    assert.match(verify(path).stderr, /Unknown key 'UMsk'/);
  },
);
