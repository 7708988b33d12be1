import assert from 'node:assert/strict';

import { ErrorCode, FlError } from '@funless/protocol';
import { watFixture } from '@funless/testing';

import type { ClusterFunction } from '../../src/cluster/index.js';
import { RecordingCluster } from '../support/recording-cluster.js';
import { createTestCore, uniqueName } from '../support/test-core.js';
import type { TestCore } from '../support/test-core.js';
import { createTestDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';

/** JSON as the API answers it: tests read what they assert (the OpenAPI check types it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/**
 * Invocations the test holds until it opens the gate; open, each answers `{"echo": args}`, or
 * traps with the message of `args.fail`.
 */
export class Gate {
  open = true;
  readonly #held: (() => void)[] = [];

  readonly onInvoke = async (_fn: ClusterFunction, args: unknown): Promise<unknown> => {
    if (!this.open) await new Promise<void>((go) => this.#held.push(go));
    if (typeof args === 'object' && args !== null && 'fail' in args)
      throw new FlError(ErrorCode.Trap, String(args.fail));
    return { echo: args };
  };

  release(): void {
    this.open = true;
    for (const go of this.#held.splice(0)) go();
  }
}

export interface EventCore {
  core: TestCore;
  cluster: RecordingCluster;
  gate: Gate;
  module: string;
}

/** A Core app with a recording cluster and short event intervals, and a fresh module. */
export async function eventCore(
  dialect: 'sqlite' | 'postgres',
  options: { db?: TestDatabase; module?: string; gate?: Gate; eventConcurrency?: number } = {},
): Promise<EventCore> {
  const gate = options.gate ?? new Gate();
  const cluster = new RecordingCluster(gate.onInvoke);
  const db = options.db ?? (await createTestDatabase(dialect));
  const core = await createTestCore(dialect, {
    cluster,
    db,
    // The database URL gives the app its once-per-cluster lease on PostgreSQL, as a Core has.
    core: {
      eventConcurrency: options.eventConcurrency ?? 16,
      sinkTimeoutMs: 2_000,
      ...(db.databaseUrl === undefined ? {} : { databaseUrl: db.databaseUrl }),
    },
    activations: { recorder: { flushIntervalMs: 5 } },
    events: { sinkRetryMs: 10, syncIntervalMs: 200 },
  });
  const module = options.module ?? uniqueName('mod');
  if (!options.module) {
    const made = await core.request('POST', '/v1/fn', { json: { module: { name: module } } });
    assert.equal(made.status, 201, made.body);
  }
  return { core, cluster, gate, module };
}

/** Creates function `name` with these events and sinks; resolves to the answer. */
export async function createWithConnections(
  setup: EventCore,
  name: string,
  connections: { events?: unknown; sinks?: unknown },
): Promise<{ status: number; json: Json; body: string }> {
  const form: Record<string, string | Uint8Array> = { name, code: await watFixture('hello') };
  if (connections.events !== undefined) form.events = JSON.stringify(connections.events);
  if (connections.sinks !== undefined) form.sinks = JSON.stringify(connections.sinks);
  return setup.core.request('POST', `/v1/fn/${setup.module}`, { form });
}

/** The function's events and sinks as GET shows them. */
export async function connectionsOf(
  setup: EventCore,
  name: string,
): Promise<{ events: Json[]; sinks: Json[] }> {
  const got = await setup.core.request('GET', `/v1/fn/${setup.module}/${name}`);
  assert.equal(got.status, 200, got.body);
  return { events: got.json.data.events, sinks: got.json.data.sinks };
}

/** Invocations the cluster saw for function `name`. */
export function invocationsOf(setup: EventCore, name: string): unknown[] {
  return setup.cluster.invocations.filter((i) => i.fn.name === name).map((i) => i.args);
}

/** The activations of function `name`, whole. */
export async function activationsOf(setup: EventCore, name: string): Promise<Json[]> {
  const list = await setup.core.request('GET', `/v1/activations?module=${setup.module}&function=${name}`);
  assert.equal(list.status, 200, list.body);
  const records = [];
  for (const a of list.json.data) {
    records.push((await setup.core.request('GET', `/v1/activations/${a.activation_id}`)).json.data);
  }
  return records;
}
