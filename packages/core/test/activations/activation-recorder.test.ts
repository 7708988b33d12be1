import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pino } from 'pino';

import { ActivationIds, ActivationRecorder } from '../../src/activations/index.js';
import type { ActivationQuery, ActivationRecord, ActivationStore } from '../../src/store/index.js';

/** The part of a store the recorder's writes and lists use, in memory; `list` can be held open. */
function memoryStore() {
  const rows: ActivationRecord[] = [];
  let hold: Promise<void> | undefined;
  const store = {
    insert(records: readonly ActivationRecord[]) {
      rows.push(...records);
      return Promise.resolve();
    },
    async list(query: ActivationQuery) {
      const seen = rows.filter((r) => query.module === undefined || r.module === query.module);
      await hold; // the answer is what the database saw when the query ran
      return seen.map(({ result: _r, error: _e, logs: _l, ...summary }) => summary);
    },
  };
  return {
    store: store as unknown as ActivationStore,
    holdLists: (): (() => void) => {
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      return release;
    },
  };
}

test('a record whose batch is written while a list runs is still in that list', async () => {
  const { store, holdLists } = memoryStore();
  const recorder = new ActivationRecorder(store, pino({ level: 'silent' }), { flushIntervalMs: 60_000 });
  const id = new ActivationIds().next();
  const record = {
    id,
    module: 'm',
    function: 'f',
    trigger: 'http',
    subject: null,
    status: 'success',
    logs: [],
  };
  recorder.record(record as unknown as ActivationRecord);
  const release = holdLists();
  const listed = recorder.list({ module: 'm', limit: 10 });
  await recorder.flush(); // the batch lands while the query is out
  release();
  assert.deepEqual(
    (await listed).map((a) => a.id),
    [id],
  );
  await recorder.close();
});
