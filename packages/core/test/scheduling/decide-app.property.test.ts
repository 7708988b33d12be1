import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { appScriptToJson, decideApp, parseAppScript } from '../../src/scheduling/index.js';
import type { AppBlock, AppScript, WorkerView } from '../../src/scheduling/index.js';

const NAMES = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7'];
const TAGS = ['t', 'db', 'web', 'default'];

const workerArb: fc.Arbitrary<WorkerView> = fc
  .record({
    total: fc.integer({ min: 0, max: 2048 }),
    freeShare: fc.double({ min: 0, max: 1, noNaN: true }),
    inFlight: fc.integer({ min: 0, max: 6 }),
    running: fc.dictionary(fc.constantFrom(...TAGS), fc.integer({ min: 0, max: 3 }), { maxKeys: 3 }),
  })
  .map(({ total, freeShare, inFlight, running }) => ({
    name: '',
    tag: 'default',
    memoryTotalMiB: total,
    memoryFreeMiB: Math.floor(total * freeShare),
    inFlight,
    runningTags: new Map(Object.entries(running)),
  }));

/** Connected Workers: a subset of NAMES in a random order, each with random resources. */
const snapshotArb: fc.Arbitrary<WorkerView[]> = fc
  .tuple(
    fc.shuffledSubarray(NAMES),
    fc.array(workerArb, { minLength: NAMES.length, maxLength: NAMES.length }),
  )
  .map(([names, views]) => names.map((name, i) => ({ ...views[i]!, name })));

const blockArb: fc.Arbitrary<AppBlock> = fc.record({
  workers: fc.oneof(fc.constant('*' as const), fc.shuffledSubarray(NAMES)),
  strategy: fc.constantFrom('best-first' as const, 'random' as const, 'platform' as const),
  invalidate: fc.record(
    {
      capacityUsedPercent: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constantFrom(0, 50, 100)),
      maxConcurrentInvocations: fc.integer({ min: 1, max: 6 }),
    },
    { requiredKeys: [] },
  ),
  affinity: fc.subarray(['db', 'web']),
  antiAffinity: fc.subarray(['t', 'default']),
});

const scriptArb: fc.Arbitrary<AppScript> = fc
  .uniqueArray(
    fc.record({
      tag: fc.constantFrom(...TAGS),
      blocks: fc.array(blockArb, { minLength: 1, maxLength: 4 }),
      followup: fc.constantFrom('default' as const, 'fail' as const),
    }),
    { selector: (e) => e.tag, minLength: 1, maxLength: 3 },
  )
  .map((entries) => ({ entries }));

const reqArb = fc.record({
  tag: fc.constantFrom(...TAGS, 'other'),
  capacityMiB: fc.integer({ min: 1, max: 1024 }),
});

/** The rules of docs/scheduling.md, written plainly: whether `w` is valid for `block`. */
function validFor(w: WorkerView, block: AppBlock, capacity: number): boolean {
  if (w.memoryFreeMiB < capacity) return false;
  const { capacityUsedPercent: pct, maxConcurrentInvocations: max } = block.invalidate;
  if (
    pct !== undefined &&
    w.memoryTotalMiB - w.memoryFreeMiB + capacity > (pct / 100) * w.memoryTotalMiB + 1e-9
  ) {
    return false;
  }
  if (max !== undefined && w.inFlight >= max) return false;
  if (block.affinity.some((t) => !((w.runningTags.get(t) ?? 0) > 0))) return false;
  if (block.antiAffinity.some((t) => (w.runningTags.get(t) ?? 0) > 0)) return false;
  return true;
}

function blocksTried(s: AppScript, tag: string): AppBlock[] {
  const own = s.entries.find((e) => e.tag === tag);
  const dflt = s.entries.find((e) => e.tag === 'default');
  const entry = own ?? dflt;
  if (!entry) return [];
  const fallback = entry.followup === 'default' && entry !== dflt && dflt ? dflt.blocks : [];
  return [...entry.blocks, ...fallback];
}

function candidates(block: AppBlock, workers: WorkerView[]): WorkerView[] {
  if (block.workers === '*') return workers;
  return block.workers.flatMap((n) => workers.filter((w) => w.name === n));
}

test('property: a chosen Worker is connected and valid for some tried block, and the first block with a valid Worker decides', () => {
  fc.assert(
    fc.property(
      scriptArb,
      snapshotArb,
      reqArb,
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (s, workers, req, r) => {
        const placement = decideApp(s, workers, req, () => r);
        const blocks = blocksTried(s, req.tag);
        const deciding = blocks.find((b) =>
          candidates(b, workers).some((w) => validFor(w, b, req.capacityMiB)),
        );
        if (!placement.ok) {
          // A failure only when no tried block has a valid Worker.
          assert.equal(
            deciding,
            undefined,
            `failed although a block had a valid Worker: ${placement.reason}`,
          );
          return;
        }
        assert.ok(deciding, 'chose a Worker although no block has a valid one');
        const chosen = workers.find((w) => w.name === placement.worker);
        assert.ok(chosen, 'the chosen Worker is connected');
        assert.ok(
          validFor(chosen, deciding, req.capacityMiB),
          'the chosen Worker satisfies capacity, thresholds and affinity',
        );
        const valid = candidates(deciding, workers).filter((w) => validFor(w, deciding, req.capacityMiB));
        assert.ok(valid.includes(chosen), 'the chosen Worker belongs to the deciding block');
        if (deciding.strategy === 'best-first') assert.equal(chosen, valid[0]);
        if (deciding.strategy === 'platform') {
          assert.equal(chosen.memoryFreeMiB, Math.max(...valid.map((w) => w.memoryFreeMiB)));
        }
      },
    ),
    { numRuns: 3000, seed: 20261126 },
  );
});

test('property: decisions do not depend on earlier decisions of the same compiled script', () => {
  fc.assert(
    fc.property(
      scriptArb,
      fc.array(snapshotArb, { minLength: 2, maxLength: 5 }),
      reqArb,
      (s, snapshots, req) => {
        const fresh = snapshots.map((w) => decideApp(structuredClone(s), w, req, () => 0.5));
        const reused = snapshots.map((w) => decideApp(s, w, req, () => 0.5));
        assert.deepEqual(reused, fresh);
      },
    ),
    { numRuns: 500, seed: 7 },
  );
});

test('property: any parsed form written back as YAML parses to the same script', () => {
  fc.assert(
    fc.property(scriptArb, (s) => {
      // The API's JSON form is the YAML vocabulary, and JSON is YAML.
      const json = appScriptToJson(s).map((e) => ({
        [e.tag]: e.blocks.map((b) => ({
          workers: b.workers,
          strategy: b.strategy,
          invalidate: Object.fromEntries(Object.entries(b.invalidate).filter(([, v]) => v !== null)),
          affinity: b.affinity,
        })),
        followup: e.followup,
      }));
      const parsed = parseAppScript(JSON.stringify(json));
      assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.problems));
      assert.deepEqual(parsed.script, JSON.parse(JSON.stringify(s)));
    }),
    { numRuns: 500, seed: 11 },
  );
});
