import assert from 'node:assert/strict';
import { test } from 'node:test';

import { WorkerRegistry } from '../../src/cluster/index.js';

const join = (name: string, memoryMiB = 1000) => ({
  name,
  tag: 'default',
  memoryTotalMiB: memoryMiB,
  memoryFreeMiB: memoryMiB,
  threads: 2,
  version: 't',
});

test('placements reduce free memory until they finish, without waiting for a report', () => {
  const r = new WorkerRegistry();
  r.add(join('w', 1000));
  const a1 = r.reserve('w', { tag: 'a', capacityMiB: 300 });
  r.reserve('w', { tag: 'a', capacityMiB: 300 });
  const b = r.reserve('w', { tag: 'b', capacityMiB: 100 });
  const [view] = r.views();
  assert.equal(view!.memoryFreeMiB, 300);
  assert.equal(view!.inFlight, 3);
  assert.deepEqual(
    [...view!.runningTags],
    [
      ['a', 2],
      ['b', 1],
    ],
  );
  r.release(a1);
  r.release(b);
  r.release(b); // twice: no effect
  assert.equal(r.views()[0]!.memoryFreeMiB, 700);
  assert.deepEqual([...r.views()[0]!.runningTags], [['a', 1]]);
  assert.deepEqual(r.info()[0]!.runningTags, ['a']);
});

test("a report that already counts this Core's invocations does not count them twice", () => {
  const r = new WorkerRegistry();
  r.add(join('w', 1000));
  const held = r.reserve('w', { tag: 'a', capacityMiB: 200 });
  // The Worker reports 800 free of which 200 are held by this Core's running invocation.
  r.report('w', { memoryTotalMiB: 1000, memoryFreeMiB: 800, reservedMiB: 200 });
  assert.equal(r.views()[0]!.memoryFreeMiB, 800);
  r.release(held);
  assert.equal(r.views()[0]!.memoryFreeMiB, 1000);
  // Memory taken by something else on the Worker (another Core, the machine) shows in the report.
  r.report('w', { memoryTotalMiB: 1000, memoryFreeMiB: 600, reservedMiB: 0 });
  assert.equal(r.views()[0]!.memoryFreeMiB, 600);
});

test('free memory stays within 0 and the total whatever the numbers say', () => {
  const r = new WorkerRegistry();
  r.add({ ...join('w', 100), memoryFreeMiB: 5000 });
  assert.equal(r.views()[0]!.memoryFreeMiB, 100);
  r.reserve('w', { tag: 'a', capacityMiB: 300 });
  assert.equal(r.views()[0]!.memoryFreeMiB, 0);
  r.report('w', { memoryTotalMiB: -5, memoryFreeMiB: Number.NaN, reservedMiB: 0 });
  assert.equal(r.views()[0]!.memoryTotalMiB, 0);
  assert.equal(r.views()[0]!.memoryFreeMiB, 0);
});

test('removed Workers leave the views, and unknown names are ignored', () => {
  let now = 1_000;
  const r = new WorkerRegistry(() => now);
  r.add(join('a'));
  r.add(join('b'));
  assert.deepEqual(
    r.views().map((v) => v.name),
    ['a', 'b'],
  );
  assert.ok(r.remove('a'));
  assert.ok(!r.remove('a'));
  assert.equal(r.reserve('ghost', { tag: 'x', capacityMiB: 1 }), undefined);
  r.report('ghost', { memoryTotalMiB: 1, memoryFreeMiB: 1, reservedMiB: 0 });
  assert.deepEqual(
    r.views().map((v) => v.name),
    ['b'],
  );
  now += 4_500;
  assert.equal(r.info()[0]!.secondsSinceReport, 4);
});

test('a rejoining Worker starts with a clean account', () => {
  const r = new WorkerRegistry();
  r.add(join('w', 1000));
  const old = r.reserve('w', { tag: 'a', capacityMiB: 400 });
  r.add(join('w', 1000));
  const fresh = r.reserve('w', { tag: 'a', capacityMiB: 100 });
  r.release(old); // a late release from the old link leaves the new account alone
  assert.equal(r.views()[0]!.memoryFreeMiB, 900);
  assert.equal(r.views()[0]!.inFlight, 1);
  r.release(fresh);
  assert.equal(r.views()[0]!.inFlight, 0);
  assert.equal(r.size, 1);
});

test("info shows a Worker's threads from its join, and its CPU use and load average from its last report", () => {
  const r = new WorkerRegistry();
  r.add({ ...join('w', 1000), threads: 3 });
  assert.deepEqual(
    (({ threads, cpuUse, loadAverage }) => ({ threads, cpuUse, loadAverage }))(r.info()[0]!),
    { threads: 3, cpuUse: null, loadAverage: null },
    'nothing is known of the load before the first report',
  );
  r.report('w', {
    memoryTotalMiB: 1000,
    memoryFreeMiB: 900,
    reservedMiB: 0,
    cpuUse: 0.25,
    loadAverage1: 1.5,
    loadAverage5: 1,
    loadAverage15: 0.5,
  });
  assert.equal(r.info()[0]!.cpuUse, 0.25);
  assert.deepEqual(r.info()[0]!.loadAverage, [1.5, 1, 0.5]);
});
