import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decideApp } from '../../src/scheduling/index.js';
import type { WorkerView } from '../../src/scheduling/index.js';
import { script, seededRandom, worker } from './helpers.js';

interface Case {
  name: string;
  script: string;
  workers: WorkerView[];
  tag?: string;
  capacity?: number;
  /** The Worker chosen, or a pattern the failure's reason must match. */
  expect: string | RegExp | RegExp[];
}

const STAR = '- t:\n    - workers: "*"\n';

const CASES: Case[] = [
  // Entry selection
  {
    name: 'the tag selects its entry',
    script: '- t:\n    - workers: [a]\n- default:\n    - workers: [b]\n',
    workers: [worker('a'), worker('b')],
    expect: 'a',
  },
  {
    name: 'a tag without an entry uses the default entry',
    script: '- other:\n    - workers: [a]\n- default:\n    - workers: [b]\n',
    workers: [worker('a'), worker('b')],
    expect: 'b',
  },
  {
    name: 'no entry and no default entry: "no matching tag"',
    script: '- other:\n    - workers: "*"\n',
    workers: [worker('a')],
    expect: /^no matching tag: the script has no entry for tag "t" and no "default" entry$/,
  },
  // Blocks in order, connected Workers only
  {
    name: 'blocks are tried in order',
    script: '- t:\n    - workers: [a]\n    - workers: [b]\n',
    workers: [worker('b'), worker('a')],
    expect: 'a',
  },
  {
    name: 'a Worker not connected is skipped',
    script: '- t:\n    - workers: [gone, b]\n',
    workers: [worker('b')],
    expect: 'b',
  },
  {
    name: 'a block of unknown Workers falls to the next block',
    script: '- t:\n    - workers: [x, y]\n    - workers: [b]\n',
    workers: [worker('b')],
    expect: 'b',
  },
  {
    name: 'a block of unknown Workers alone fails, naming them not connected',
    script: '- t:\n    - workers: [x, y]\n',
    workers: [worker('b')],
    expect: /block 1 \(2 listed\): not connected: "x", "y"/,
  },
  {
    name: 'an empty block falls to the next',
    script: '- t:\n    - workers: []\n    - workers: "*"\n',
    workers: [worker('a')],
    expect: 'a',
  },
  {
    name: 'an empty block alone fails',
    script: '- t:\n    - workers: []\n',
    workers: [worker('a')],
    expect: /block 1 \(0 listed\): lists no Workers/,
  },
  {
    name: '"*" with no Workers fails',
    script: STAR,
    workers: [],
    expect: /block 1 \("\*"\): no Worker is connected/,
  },
  // Strategies
  {
    name: 'best-first takes the first valid in the listed order',
    script: '- t:\n    - workers: [c, b, a]\n',
    workers: [worker('a'), worker('b'), worker('c', { free: 10 })],
    expect: 'b',
  },
  {
    name: 'best-first over "*" follows the snapshot order',
    script: STAR,
    workers: [worker('z', { free: 10 }), worker('y'), worker('x')],
    expect: 'y',
  },
  {
    name: 'platform takes the valid Worker with the most free memory',
    script: '- t:\n    - workers: [a, b, c]\n      strategy: platform\n',
    workers: [worker('a', { free: 200 }), worker('b', { free: 900 }), worker('c', { free: 500 })],
    expect: 'b',
  },
  {
    name: 'platform ignores invalid Workers even with more memory',
    script:
      '- t:\n    - workers: "*"\n      strategy: platform\n      invalidate:\n        max_concurrent_invocations: 2\n',
    workers: [worker('big', { free: 1000, inFlight: 2 }), worker('small', { free: 100, inFlight: 1 })],
    expect: 'small',
  },
  {
    name: 'random with one valid Worker takes it',
    script: '- t:\n    - workers: [a, b, c]\n      strategy: random\n',
    workers: [worker('a', { free: 1 }), worker('b'), worker('c', { free: 1 })],
    expect: 'b',
  },
  // Capacity
  {
    name: 'capacity exactly equal to free memory fits',
    script: STAR,
    capacity: 64,
    workers: [worker('a', { free: 64 })],
    expect: 'a',
  },
  {
    name: 'one MiB short does not fit',
    script: STAR,
    capacity: 64,
    workers: [worker('a', { free: 63 })],
    expect: /without 64 MiB free: "a"/,
  },
  // capacity_used
  {
    name: 'capacity_used exactly at the limit is valid',
    script: '- t:\n    - workers: "*"\n      invalidate:\n        capacity_used: 50%\n',
    capacity: 64,
    workers: [worker('a', { total: 1000, free: 564 })],
    expect: 'a',
  },
  {
    name: 'capacity_used one MiB over the limit is skipped',
    script: '- t:\n    - workers: "*"\n      invalidate:\n        capacity_used: 50%\n',
    capacity: 64,
    workers: [worker('a', { total: 1000, free: 563 })],
    expect: /over capacity_used 50%: "a"/,
  },
  {
    name: 'capacity_used 100% only needs the capacity to fit',
    script: '- t:\n    - workers: "*"\n      invalidate:\n        capacity_used: 100\n',
    capacity: 64,
    workers: [worker('a', { total: 1000, free: 64 })],
    expect: 'a',
  },
  {
    name: 'capacity_used 0% refuses every placement',
    script: '- t:\n    - workers: "*"\n      invalidate:\n        capacity_used: 0\n',
    capacity: 1,
    workers: [worker('a')],
    expect: /over capacity_used 0%/,
  },
  {
    name: 'capacity_used with a fraction is exact',
    script: '- t:\n    - workers: "*"\n      invalidate:\n        capacity_used: 12.5%\n',
    capacity: 100,
    workers: [worker('a', { total: 800, free: 800 })],
    expect: 'a',
  },
  // max_concurrent_invocations
  {
    name: 'in-flight one below max_concurrent_invocations is valid',
    script: '- t:\n    - workers: "*"\n      invalidate:\n        max_concurrent_invocations: 3\n',
    workers: [worker('a', { inFlight: 2 })],
    expect: 'a',
  },
  {
    name: 'in-flight equal to max_concurrent_invocations is skipped',
    script: '- t:\n    - workers: "*"\n      invalidate:\n        max_concurrent_invocations: 3\n',
    workers: [worker('a', { inFlight: 3 })],
    expect: /at max_concurrent_invocations 3: "a"/,
  },
  // Affinity
  {
    name: 'affinity takes only Workers running the tag',
    script: '- t:\n    - workers: "*"\n      affinity: [db]\n',
    workers: [worker('a'), worker('b', { running: { db: 1 } })],
    expect: 'b',
  },
  {
    name: 'affinity ignores a tag counted zero',
    script: '- t:\n    - workers: "*"\n      affinity: [db]\n',
    workers: [worker('a', { running: { db: 0 } })],
    expect: /not running "db" \(affinity\): "a"/,
  },
  {
    name: 'several affinity tags must all run',
    script: '- t:\n    - workers: "*"\n      affinity: [db, cache]\n',
    workers: [worker('a', { running: { db: 1 } }), worker('b', { running: { db: 1, cache: 2 } })],
    expect: 'b',
  },
  {
    name: 'anti-affinity never takes a Worker running the tag',
    script: '- t:\n    - workers: "*"\n      affinity: ["!noisy"]\n',
    workers: [worker('a', { running: { noisy: 1 } }), worker('b')],
    expect: 'b',
  },
  {
    name: 'anti-affinity with every Worker running the tag fails',
    script: '- t:\n    - workers: "*"\n      affinity: ["!noisy"]\n',
    workers: [worker('a', { running: { noisy: 1 } })],
    expect: /running "noisy" \(anti-affinity\): "a"/,
  },
  {
    name: 'affinity and anti-affinity together',
    script: '- t:\n    - workers: "*"\n      affinity: [db, "!noisy"]\n',
    workers: [
      worker('a', { running: { noisy: 1, db: 1 } }),
      worker('b'),
      worker('c', { running: { db: 3 } }),
    ],
    expect: 'c',
  },
  {
    name: 'after a full "*" scan, a block wanting a tag nobody runs fails and the next still finds the one that does',
    script:
      '- t:\n    - workers: "*"\n      affinity: [x]\n    - workers: "*"\n      affinity: [nobody]\n' +
      '    - workers: "*"\n      strategy: platform\n      affinity: [y]\n    - workers: [a]\n      affinity: [y]\n',
    workers: [worker('a', { running: { x: 0, z: 1 } }), worker('b'), worker('c', { running: { y: 1 } })],
    expect: 'c',
  },
  {
    name: 'anti-affinity on the own tag spreads invocations',
    script: '- t:\n    - workers: "*"\n      affinity: ["!t"]\n',
    workers: [worker('a', { running: { t: 1 } }), worker('b')],
    expect: 'b',
  },
  {
    name: 'affinity applies per block: the next block has none',
    script: '- t:\n    - workers: "*"\n      affinity: [db]\n    - workers: "*"\n',
    workers: [worker('a')],
    expect: 'a',
  },
  // Followup
  {
    name: 'followup default falls back to the default entry',
    script: '- t:\n    - workers: [a]\n  followup: default\n- default:\n    - workers: [b]\n',
    workers: [worker('a', { free: 1 }), worker('b')],
    expect: 'b',
  },
  {
    name: 'followup fail does not fall back',
    script: '- t:\n    - workers: [a]\n  followup: fail\n- default:\n    - workers: [b]\n',
    workers: [worker('a', { free: 1 }), worker('b')],
    expect: [
      /^no Worker for tag "t" under script entry "t": block 1 \(1 listed\): without 64 MiB free: "a"$/,
    ],
  },
  {
    name: 'followup is fail when not written',
    script: '- t:\n    - workers: [a]\n- default:\n    - workers: [b]\n',
    workers: [worker('a', { free: 1 }), worker('b')],
    expect: /entry "t"/,
  },
  {
    name: 'followup default with a failing default entry explains both',
    script: '- t:\n    - workers: [a]\n  followup: default\n- default:\n    - workers: [b]\n',
    workers: [worker('a', { free: 1 }), worker('b', { free: 2 })],
    expect: [
      /entry "t": block 1 \(1 listed\): without 64 MiB free: "a"\. Followup default, entry "default": block 1 \(1 listed\): without 64 MiB free: "b"/,
    ],
  },
  {
    name: 'followup default without a default entry says so',
    script: '- t:\n    - workers: [a]\n  followup: default\n',
    workers: [worker('a', { free: 1 })],
    expect: /Followup default, but the script has no "default" entry/,
  },
  {
    name: 'the default entry used for an unknown tag is not tried twice',
    script: '- default:\n    - workers: [a]\n  followup: default\n',
    workers: [worker('a', { free: 1 })],
    expect: [
      /^no Worker for tag "t" under script entry "default" \(no entry for the tag\): block 1 \(1 listed\): without 64 MiB free: "a"$/,
    ],
  },
  // The failure reason
  {
    name: 'the reason names the tag and each block',
    script:
      '- t:\n    - workers: [a, b]\n      invalidate:\n        max_concurrent_invocations: 1\n    - workers: "*"\n      affinity: [db]\n',
    workers: [worker('a', { inFlight: 1 }), worker('c')],
    expect: [
      /^no Worker for tag "t"/,
      /block 1 \(2 listed\): not connected: "b", at max_concurrent_invocations 1: "a"/,
      /block 2 \("\*"\): not running "db" \(affinity\): "a", "c"/,
    ],
  },
  {
    name: 'the reason shows three names per group and counts the rest',
    script: STAR,
    capacity: 2000,
    workers: ['a', 'b', 'c', 'd', 'e'].map((n) => worker(n)),
    expect: /without 2000 MiB free: "a", "b", "c" and 2 more/,
  },
];

for (const c of CASES) {
  test(`APP: ${c.name}`, () => {
    const placement = decideApp(script(c.script), c.workers, {
      tag: c.tag ?? 't',
      capacityMiB: c.capacity ?? 64,
    });
    if (typeof c.expect === 'string') {
      assert.deepEqual(placement, { ok: true, worker: c.expect });
    } else {
      assert.equal(placement.ok, false, `expected a failure, got ${JSON.stringify(placement)}`);
      const reason = placement.ok ? '' : placement.reason;
      for (const pattern of [c.expect].flat()) assert.match(reason, pattern);
    }
  });
}

test('a compiled script serves changing snapshots: Workers joining, leaving and reordering', () => {
  const s = script('- t:\n    - workers: [a, b, c]\n');
  const req = { tag: 't', capacityMiB: 64 };
  assert.deepEqual(decideApp(s, [worker('c'), worker('b')], req), { ok: true, worker: 'b' });
  assert.deepEqual(decideApp(s, [worker('c'), worker('a'), worker('b')], req), { ok: true, worker: 'a' });
  assert.deepEqual(decideApp(s, [worker('c')], req), { ok: true, worker: 'c' });
  assert.deepEqual(decideApp(s, [worker('x')], req).ok, false);
  assert.deepEqual(decideApp(s, [worker('b'), worker('a')], req), { ok: true, worker: 'a' });
});

test('the same snapshot array with changed numbers is read afresh', () => {
  const s = script('- t:\n    - workers: [a, b]\n      affinity: [db]\n');
  const req = { tag: 't', capacityMiB: 64 };
  const workers = [worker('a', { running: { db: 1 } }), worker('b', { running: { db: 1 } })];
  assert.deepEqual(decideApp(s, workers, req), { ok: true, worker: 'a' });
  (workers[0] as { memoryFreeMiB: number }).memoryFreeMiB = 0;
  assert.deepEqual(decideApp(s, workers, req), { ok: true, worker: 'b' });
  (workers[1]!.runningTags as Map<string, number>).delete('db');
  (workers[0] as { memoryFreeMiB: number }).memoryFreeMiB = 500;
  assert.deepEqual(decideApp(s, workers, req), { ok: true, worker: 'a' });
  (workers[0]!.runningTags as Map<string, number>).set('db', 0);
  assert.equal(decideApp(s, workers, req).ok, false);
});

test('a script with more affinity tags than a bit mask holds still enforces them all', () => {
  const tags = Array.from({ length: 40 }, (_, i) => `t${i}`);
  const s = script(`- t:\n    - workers: "*"\n      affinity: [${tags.join(', ')}, "!bad"]\n`);
  const all = Object.fromEntries(tags.map((t) => [t, 1]));
  const req = { tag: 't', capacityMiB: 64 };
  const missingOne = { ...all };
  delete missingOne.t39;
  assert.deepEqual(
    decideApp(
      s,
      [
        worker('a', { running: missingOne }),
        worker('b', { running: { ...all, bad: 1 } }),
        worker('c', { running: all }),
      ],
      req,
    ),
    { ok: true, worker: 'c' },
  );
  assert.match(
    (decideApp(s, [worker('a', { running: missingOne })], req) as { reason: string }).reason,
    /not running "t39"/,
  );
});

test('random picks each valid Worker uniformly (chi-square, fixed seed)', () => {
  const workers = Array.from({ length: 10 }, (_, i) => worker(`w${i}`, { free: i === 3 ? 1 : 1024 }));
  const s = script('- t:\n    - workers: "*"\n      strategy: random\n');
  const random = seededRandom(12345);
  const counts = new Map<string, number>();
  const draws = 90_000;
  for (let i = 0; i < draws; i++) {
    const p = decideApp(s, workers, { tag: 't', capacityMiB: 64 }, random);
    assert.ok(p.ok);
    counts.set(p.worker, (counts.get(p.worker) ?? 0) + 1);
  }
  assert.equal(counts.has('w3'), false, 'the full Worker is never chosen');
  assert.equal(counts.size, 9);
  const expected = draws / 9;
  const chi2 = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
  // 8 degrees of freedom: the 99.9th percentile of chi-square is 26.12.
  assert.ok(
    chi2 < 26.12,
    `chi-square ${chi2.toFixed(2)} says the choice is not uniform: ${JSON.stringify([...counts])}`,
  );
});

test('random with a named block draws only among its listed, valid Workers', () => {
  const workers = [worker('a'), worker('b'), worker('c'), worker('d', { inFlight: 5 })];
  const s = script(
    '- t:\n    - workers: [b, d, c]\n      strategy: random\n      invalidate:\n        max_concurrent_invocations: 5\n',
  );
  const seen = new Set<string>();
  const random = seededRandom(7);
  for (let i = 0; i < 200; i++) {
    const p = decideApp(s, workers, { tag: 't', capacityMiB: 64 }, random);
    assert.ok(p.ok);
    seen.add(p.worker);
  }
  assert.deepEqual([...seen].sort(), ['b', 'c']);
});

test('random copes with a source returning values at the edges of [0, 1)', () => {
  const workers = [worker('a'), worker('b')];
  const s = script('- t:\n    - workers: "*"\n      strategy: random\n');
  assert.deepEqual(
    decideApp(s, workers, { tag: 't', capacityMiB: 1 }, () => 0),
    { ok: true, worker: 'a' },
  );
  assert.deepEqual(
    decideApp(s, workers, { tag: 't', capacityMiB: 1 }, () => 0.9999999999),
    { ok: true, worker: 'b' },
  );
  assert.deepEqual(
    decideApp(s, workers, { tag: 't', capacityMiB: 1 }, () => 1),
    { ok: true, worker: 'b' },
  );
});

test('random copes with a source returning NaN or negatives', () => {
  const workers = [worker('a'), worker('b')];
  const s = script('- t:\n    - workers: "*"\n      strategy: random\n');
  assert.deepEqual(
    decideApp(s, workers, { tag: 't', capacityMiB: 1 }, () => NaN),
    { ok: true, worker: 'a' },
  );
  assert.deepEqual(
    decideApp(s, workers, { tag: 't', capacityMiB: 1 }, () => -3),
    { ok: true, worker: 'a' },
  );
});
