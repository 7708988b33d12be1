// GET /metrics through a real Core with a Worker joined over the in-process link, parsed by a
// Prometheus text-format parser. See docs/architecture.md, "Observability".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MIB } from '@funless/protocol';
import { ECHO_WAT, eventually, fillWat, wat } from '@funless/testing';

import { startInProcessPlatform } from '../support/in-process-platform.js';
import type { InProcessPlatform } from '../support/in-process-platform.js';
import { assertMatchesOpenApi } from '../support/openapi-check.js';
import { PrometheusText } from '../support/prometheus-text.js';
import { createTestCore } from '../support/test-core.js';

const WORKER = 'metrics-worker';
/** An argument value that must never become a label. */
const SECRET_ARG = 'an-argument-that-is-no-label';

describe('GET /metrics after a few invocations', () => {
  let platform: InProcessPlatform;
  let metrics: PrometheusText;
  let contentType: string;

  before(async () => {
    platform = await startInProcessPlatform({ reportIntervalMs: 100, workerName: WORKER, memoryMiB: 512 });
    await platform.upload('echo', await wat(ECHO_WAT));
    await platform.upload('failing', await wat(fillWat('__insert_error', 0x61, 4)));
    // More capacity than the Worker offers: no Worker can take it.
    await platform.upload('huge', await wat(ECHO_WAT), { capacity: 4096 });
    for (let i = 0; i < 3; i++) assert.equal((await platform.invoke('echo', { SECRET_ARG })).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await platform.invoke('failing')).status, 422);
    assert.equal((await platform.invoke('huge')).status, 503);
    // The Worker's CPU use and load average arrive with its next report.
    await eventually(() => platform.cluster.workers()[0]?.cpuUse !== null, 'a report with the CPU use');
    const res = await platform.metrics();
    assert.equal(res.status, 200, res.text);
    assertMatchesOpenApi('GET', '/metrics', res.status, res.text);
    contentType = res.contentType;
    metrics = new PrometheusText(res.text);
  });

  after(async () => {
    await platform?.close();
  });

  test('it is Prometheus text format 0.0.4', () => {
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  });

  test('invocations are counted by module, function and status', () => {
    assert.equal(metrics.type('fl_invocations_total'), 'COUNTER');
    const count = (fn: string, status: string) =>
      metrics.value('fl_invocations_total', { module: '_', function: fn, status });
    assert.equal(count('echo', 'success'), 3);
    assert.equal(count('failing', 'guest_error'), 2);
    assert.equal(count('huge', 'no_worker'), 1);
    assert.equal(metrics.labelSets('fl_invocations_total').length, 3, 'one series per function and status');
  });

  test('the duration and the platform overhead are histograms; the overhead counts each Worker answer', () => {
    assert.equal(metrics.type('fl_invocation_duration_seconds'), 'HISTOGRAM');
    assert.equal(metrics.type('fl_invocation_overhead_seconds'), 'HISTOGRAM');
    // The guest's own time comes with a result: the three successes.
    assert.equal(metrics.histogramCount('fl_invocation_overhead_seconds'), 3);
  });

  test('scheduling decisions are counted by policy and outcome, and timed', () => {
    const decisions = (outcome: string) =>
      metrics.value('fl_scheduling_decisions_total', { policy: 'default', outcome });
    assert.equal(decisions('placed'), 5);
    assert.equal(decisions('no_worker'), 1);
    assert.equal(metrics.value('fl_scheduling_decisions_total', { policy: 'app', outcome: 'placed' }), 0);
    assert.equal(metrics.type('fl_scheduling_duration_seconds'), 'HISTOGRAM');
  });

  test('code pushes are counted and timed', () => {
    assert.equal(metrics.value('fl_code_pushes_total', { outcome: 'complete' }), 3);
    assert.equal(metrics.value('fl_code_pushes_total', { outcome: 'incomplete' }), 0);
    assert.equal(metrics.histogramCount('fl_code_push_duration_seconds'), 3);
  });

  test('the Workers and their resources are gauges labelled by Worker name', () => {
    assert.equal(metrics.value('fl_workers_connected'), 1);
    const gauge = (name: string) => {
      assert.equal(metrics.type(name), 'GAUGE', name);
      assert.deepEqual(metrics.labelSets(name), [{ worker: WORKER }], name);
      return metrics.value(name, { worker: WORKER })!;
    };
    assert.equal(gauge('fl_worker_memory_total_bytes'), 512 * MIB);
    assert.ok(gauge('fl_worker_memory_free_bytes') <= 512 * MIB);
    assert.equal(gauge('fl_worker_in_flight'), 0);
    assert.equal(gauge('fl_worker_threads'), 1);
    const cpu = gauge('fl_worker_cpu_use_ratio');
    assert.ok(cpu >= 0 && cpu <= 1, `CPU use ${cpu}`);
    for (const load of ['fl_worker_load1', 'fl_worker_load5', 'fl_worker_load15'])
      assert.ok(gauge(load) >= 0);
  });

  test('the records of the six invocations are counted as written; the queue is empty, nothing pruned', async () => {
    assert.equal(metrics.type('fl_activation_records_written_total'), 'COUNTER');
    // Records are written behind the invocations, within 100 ms.
    const written = await eventually(async () => {
      const scrape = new PrometheusText((await platform.metrics()).text);
      const n = scrape.value('fl_activation_records_written_total');
      return n === 6 ? scrape : undefined;
    }, 'six records written');
    assert.equal(written.value('fl_async_queue_depth'), 0);
    assert.equal(written.value('fl_activation_records_pruned_total'), 0);
  });

  test("prom-client's process metrics are there", () => {
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(metrics.families.has(name), name);
    }
  });

  test('no label value comes from an invocation argument', () => {
    for (const family of metrics.families.values()) {
      for (const sample of family.metrics) {
        for (const value of Object.values(sample.labels ?? {})) {
          assert.ok(!value.includes(SECRET_ARG), `${family.name} has the label value ${value}`);
        }
      }
    }
  });

  test('another Core app in the same process keeps its own counts', async () => {
    const other = await createTestCore('sqlite');
    try {
      const res = await other.request('GET', '/metrics');
      assert.equal(res.status, 200);
      const own = new PrometheusText(res.body);
      assert.deepEqual(own.labelSets('fl_invocations_total'), []);
      assert.equal(own.value('fl_workers_connected'), 0);
      assert.equal(own.value('fl_code_pushes_total', { outcome: 'complete' }), 0);
    } finally {
      await other.close();
    }
  });
});

describe('who may read GET /metrics', () => {
  test('the admin token and the metrics token may; no token, a subject token or a wrong one is 401', async () => {
    const metricsToken = 'prometheus-scrape-token-0123456789';
    const core = await createTestCore('sqlite', { core: { metricsToken } });
    try {
      assert.equal((await core.request('GET', '/metrics')).status, 200);
      const scrape = await core.request('GET', '/metrics', { token: metricsToken });
      assert.equal(scrape.status, 200);
      assert.match(scrape.body, /^# HELP /m);

      const missing = await core.request('GET', '/metrics', { token: null });
      assert.equal(missing.status, 401);
      assert.match(missing.json.errors.detail, /missing bearer token/);
      const guest = await core.request('GET', '/metrics', { token: core.guestToken });
      assert.equal(guest.status, 401);
      assert.match(
        guest.json.errors.detail,
        /needs the admin token or the metrics token \(FL_METRICS_TOKEN\)/,
      );
      const wrong = await core.request('GET', '/metrics', { token: 'not-a-token-anybody-has' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.json.errors.detail, /invalid token/);
      // The metrics token reads the metrics and nothing else.
      assert.equal((await core.request('GET', '/v1/fn', { token: metricsToken })).status, 401);
    } finally {
      await core.close();
    }
  });

  test('without FL_METRICS_TOKEN only the admin token may', async () => {
    const core = await createTestCore('sqlite');
    try {
      assert.equal((await core.request('GET', '/metrics')).status, 200);
      assert.equal((await core.request('GET', '/metrics', { token: core.guestToken })).status, 401);
      assert.equal((await core.request('GET', '/metrics', { token: null })).status, 401);
    } finally {
      await core.close();
    }
  });
});
