// The invocation path's counters and histograms are written out exactly as prom-client's own
// Counter and Histogram are for the same observations: they are stand-ins for them, so they pass
// the same comparison (docs/architecture.md, "Observability").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Counter, Histogram, Registry } from 'prom-client';

import { SeriesCounter } from '../../src/metrics/series-counter.js';
import { SeriesHistogram } from '../../src/metrics/series-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [Record<'module' | 'function', string>, number][] = [
  [{ module: '_', function: 'a' }, 0.0005],
  [{ module: '_', function: 'a' }, 0.001],
  [{ module: '_', function: 'a' }, 0.05],
  [{ module: 'm', function: 'b' }, 3],
  [{ module: 'm', function: 'b' }, 0.2],
];

test('a SeriesHistogram is written out as a prom-client Histogram with the same observations', async () => {
  const theirs = new Registry();
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'help "quoted" \\ text',
    labelNames: ['module', 'function'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const ours = new Registry();
  const seriesHistogram = new SeriesHistogram<'module' | 'function'>({
    name: 'h_seconds',
    help: 'help "quoted" \\ text',
    buckets: BUCKETS,
    registers: [ours],
  });
  const series = new Map<string, ReturnType<typeof seriesHistogram.series>>();
  for (const [labels, value] of OBSERVED) {
    histogram.observe(labels, value);
    const key = `${labels.module}/${labels.function}`;
    if (!series.has(key)) series.set(key, seriesHistogram.series(labels));
    series.get(key)!.observe(value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  const values = async (registry: Registry) => (await registry.getMetricsAsJSON())[0]!.values;
  assert.deepEqual(
    (await values(ours)).map(({ labels, value }) => ({ labels, value })),
    (await values(theirs)).map(({ labels, value }) => ({ labels, value })),
    'getMetricsAsJSON gives the same values with the same labels',
  );
});

test('an unlabelled SeriesHistogram is written out as an unlabelled Histogram, empty or not', async () => {
  const theirs = new Registry();
  const histogram = new Histogram({ name: 'u_seconds', help: 'u', buckets: BUCKETS, registers: [theirs] });
  const ours = new Registry();
  const series = new SeriesHistogram({
    name: 'u_seconds',
    help: 'u',
    buckets: BUCKETS,
    registers: [ours],
  }).series({});
  assert.equal(await ours.metrics(), await theirs.metrics());
  for (const value of [0.002, 0.5, 7]) {
    histogram.observe(value);
    series.observe(value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
});

test('a SeriesCounter is written out as a prom-client Counter with the same increments', async () => {
  const theirs = new Registry();
  const counter = new Counter({
    name: 'c_total',
    help: 'c',
    labelNames: ['module', 'function'],
    registers: [theirs],
  });
  const ours = new Registry();
  const seriesCounter = new SeriesCounter({
    name: 'c_total',
    help: 'c',
    labelNames: ['module', 'function'],
    registers: [ours],
  });
  const a = seriesCounter.series({ module: '_', function: 'a' });
  const b = seriesCounter.series({ module: 'm', function: 'b' });
  counter.inc({ module: '_', function: 'a' }, 0);
  counter.inc({ module: 'm', function: 'b' }, 0);
  assert.equal(await ours.metrics(), await theirs.metrics(), 'series at 0 are shown');
  for (const [labels] of OBSERVED) {
    counter.inc(labels);
    (labels.function === 'a' ? a : b).value++;
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
});
