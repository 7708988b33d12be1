import { createHash } from 'node:crypto';

import type { Logger } from 'pino';

import { CONNECT_ATTEMPT_MS, ConnectionPhase, ConnectionState } from '../connections/index.js';
import type { EventSource, ScheduleOwner } from '../events/index.js';
import type { ConnectionRequest, FunctionRecord, Store } from '../store/index.js';
import { ActivationTrigger, eventTrigger } from '../store/index.js';
import { connectionKey, parseEvent, parseSink, redactedParams } from './connection-types.js';
import type { ActiveSink, EventRunner } from './event-runner.js';

/** How connecting one entry went, by FunLess's names (`{"status": "success"}` or an error). */
export type EntryResult = { status: 'success' } | { status: 'error'; message: string };

/** One event or sink as `GET /v1/fn/:mod/:fn` shows it (docs/api.md, "Events and sinks"). */
export interface ConnectionView {
  type: string;
  params: Record<string, unknown>;
  state: ConnectionPhase;
  last_error?: string;
  next_attempt_at?: string;
  counters: Record<string, number>;
}

interface EventEntry {
  key: string;
  request: ConnectionRequest;
  state: ConnectionState;
  source: EventSource | undefined;
}

interface SinkEntry {
  key: string;
  request: ConnectionRequest;
  state: ConnectionState;
  active: ActiveSink | undefined;
}

interface FunctionConnections {
  updatedAt: number;
  events: EventEntry[];
  sinks: SinkEntry[];
}

export interface ConnectionManagerContext {
  store: Store;
  runner: EventRunner;
  scheduleOwner: ScheduleOwner;
  logger: Logger;
  /** Time limit of one delivery attempt, in ms. */
  sinkTimeoutMs: number;
}

const SETTLE_MS = CONNECT_ATTEMPT_MS + 1_000;

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The events and sinks of every function, running on this Core (docs/events.md). The database is
 * the truth: at start, and every `syncIntervalMs` after (what other Cores changed), the Core
 * subscribes to what is stored and stops what is not; the routes apply their own changes at once.
 * An entry whose type and params did not change keeps running through an update.
 */
export class ConnectionManager {
  readonly #functions = new Map<string, FunctionConnections>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #coreId = '';

  constructor(private readonly context: ConnectionManagerContext) {}

  /**
   * Subscribes to what is stored, then keeps in step with the database every `syncIntervalMs`.
   * `coreId` (`$FL_DATA_DIR/core-id`) is part of the MQTT client ids, stable across restarts.
   */
  async start(coreId: string, syncIntervalMs: number): Promise<void> {
    this.#coreId = coreId;
    await this.sync();
    this.#timer = setInterval(() => {
      this.sync().catch((error: unknown) =>
        this.context.logger.warn({ err: error }, 'events: reading the stored events and sinks failed'),
      );
    }, syncIntervalMs);
    this.#timer.unref();
  }

  /** Runs changes one at a time, in order. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Brings every function in step with the database. */
  sync(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      const stored = await this.context.store.listConnectedFunctions();
      const seen = new Set<string>();
      for (const fn of stored) {
        const key = `${fn.module}/${fn.name}`;
        seen.add(key);
        if (this.#functions.get(key)?.updatedAt !== fn.updatedAt.getTime()) await this.#apply(fn);
      }
      for (const key of [...this.#functions.keys()]) if (!seen.has(key)) await this.#remove(key);
    });
  }

  /**
   * Makes the function's running events and sinks what `fn` says, and resolves to how each entry
   * connected (waiting at most `CONNECT_ATTEMPT_MS` plus a second for new ones). `previousName`:
   * the function was renamed, and its old name's entries stop.
   */
  apply(fn: FunctionRecord, previousName?: string): Promise<{ events: EntryResult[]; sinks: EntryResult[] }> {
    return this.#serial(async () => {
      if (previousName !== undefined && previousName !== fn.name)
        await this.#remove(`${fn.module}/${previousName}`);
      const held = await this.#apply(fn);
      await Promise.all([...held.events, ...held.sinks].map((e) => e.state.settled(SETTLE_MS)));
      return { events: held.events.map(result), sinks: held.sinks.map(result) };
    });
  }

  /** Stops the function's events and sinks (it was deleted). */
  remove(module: string, name: string): Promise<void> {
    return this.#serial(() => this.#remove(`${module}/${name}`));
  }

  /** Stops the events and sinks of every function of a module (it was deleted or renamed). */
  removeModule(module: string): Promise<void> {
    return this.#serial(async () => {
      for (const key of [...this.#functions.keys()])
        if (key.startsWith(`${module}/`)) await this.#remove(key);
    });
  }

  /** The function's events and sinks with their state, in their stored order; undefined when none run here. */
  view(module: string, name: string): { events: ConnectionView[]; sinks: ConnectionView[] } | undefined {
    const held = this.#functions.get(`${module}/${name}`);
    if (!held) return undefined;
    return {
      events: held.events.map((e) =>
        view(e.request, e.state, ['messagesReceived', 'invocationsStarted', 'messagesDropped']),
      ),
      sinks: held.sinks.map((s) => view(s.request, s.state, ['resultsDelivered', 'deliveryFailures'])),
    };
  }

  async #apply(fn: FunctionRecord): Promise<FunctionConnections> {
    if (this.#closed) throw new Error('the Core is stopping');
    const key = `${fn.module}/${fn.name}`;
    const old = this.#functions.get(key);
    const held: FunctionConnections = { updatedAt: fn.updatedAt.getTime(), events: [], sinks: [] };
    const unusedEvents = [...(old?.events ?? [])];
    const unusedSinks = [...(old?.sinks ?? [])];
    const take = <E extends { key: string }>(list: E[], entryKey: string): E | undefined => {
      const i = list.findIndex((e) => e.key === entryKey);
      return i < 0 ? undefined : list.splice(i, 1)[0];
    };
    fn.sinks.forEach((request, index) => {
      const entryKey = connectionKey(request);
      const kept = take(unusedSinks, entryKey);
      if (kept?.active) kept.active.index = index;
      held.sinks.push(kept ?? this.#startSink(fn, request, index, entryKey));
    });
    // The new sinks are in place before events of the new set may deliver to them.
    this.#functions.set(key, held);
    fn.events.forEach((request, index) => {
      const entryKey = connectionKey(request);
      held.events.push(take(unusedEvents, entryKey) ?? this.#startEvent(fn, request, index, entryKey));
    });
    await Promise.all([
      ...unusedEvents.map((e) => e.source?.close(true)),
      ...unusedSinks.map((s) => s.active?.sink.close()),
    ]);
    return held;
  }

  #startEvent(fn: FunctionRecord, request: ConnectionRequest, index: number, key: string): EventEntry {
    const state = new ConnectionState();
    const entry: EventEntry = { key, request, state, source: undefined };
    let parsed;
    try {
      parsed = parseEvent(`events[${index}]`, request);
    } catch (error) {
      state.failed((error as Error).message);
      return entry;
    }
    const { module, name } = fn;
    const id = hash(`${module}/${name}/events/${key}`);
    const trigger = eventTrigger(parsed.type) ?? ActivationTrigger.Async;
    const functionKey = `${module}/${name}`;
    entry.source = parsed.eventType.create(parsed.options, {
      accept: (message) =>
        this.context.runner.accept({
          ...message,
          module,
          name,
          type: parsed.type,
          trigger,
          state,
          sinks: () =>
            (this.#functions.get(functionKey)?.sinks ?? []).flatMap((s) => (s.active ? [s.active] : [])),
        }),
      state,
      logger: this.context.logger.child({ module, function: name, event: parsed.type }),
      // MQTT 3.1 allows client ids of 23 characters: 2 + 8 + 13.
      clientId: `fl${this.#coreId.slice(0, 8)}${id.slice(0, 13)}`,
      group: `fl${id.slice(0, 16)}`,
      scheduleOwner: this.context.scheduleOwner,
    });
    entry.source.start();
    return entry;
  }

  #startSink(fn: FunctionRecord, request: ConnectionRequest, index: number, key: string): SinkEntry {
    const state = new ConnectionState();
    const entry: SinkEntry = { key, request, state, active: undefined };
    let parsed;
    try {
      parsed = parseSink(`sinks[${index}]`, request);
    } catch (error) {
      state.failed((error as Error).message);
      return entry;
    }
    const id = hash(`${fn.module}/${fn.name}/sinks/${key}`);
    const sink = parsed.sinkType.create(parsed.options, {
      state,
      logger: this.context.logger.child({ module: fn.module, function: fn.name, sink: parsed.type }),
      timeoutMs: this.context.sinkTimeoutMs,
      clientId: `fs${this.#coreId.slice(0, 8)}${id.slice(0, 13)}`,
    });
    entry.active = { index, type: parsed.type, on: parsed.on, sink, state };
    sink.start();
    return entry;
  }

  async #remove(key: string): Promise<void> {
    const held = this.#functions.get(key);
    if (!held) return;
    this.#functions.delete(key);
    await Promise.all([
      ...held.events.map((e) => e.source?.close(true)),
      ...held.sinks.map((s) => s.active?.sink.close()),
    ]);
  }

  /**
   * Stops every subscription without forgetting it (messages that arrive meanwhile wait at their
   * broker for the next start), then closes the sinks.
   */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#serial(async () => {
      this.#closed = true;
      const all = [...this.#functions.values()];
      this.#functions.clear();
      const sources: Promise<void>[] = [];
      const sinks: Promise<void>[] = [];
      for (const held of all) {
        for (const e of held.events) if (e.source) sources.push(e.source.close(false));
        for (const s of held.sinks) if (s.active) sinks.push(s.active.sink.close());
      }
      await Promise.all(sources);
      await Promise.all(sinks);
    });
  }
}

function result(entry: { state: ConnectionState }): EntryResult {
  if (entry.state.phase === ConnectionPhase.Connected) return { status: 'success' };
  return {
    status: 'error',
    message:
      entry.state.lastError ??
      `not connected within ${SETTLE_MS} ms; tried again in the background (see GET /v1/fn/:mod/:fn)`,
  };
}

function view(
  request: ConnectionRequest,
  state: ConnectionState,
  counters: readonly (keyof ConnectionState['counters'])[],
): ConnectionView {
  const shown: ConnectionView = {
    type: request.type,
    params: redactedParams(request.params),
    state: state.phase,
    counters: Object.fromEntries(counters.map((c) => [snake(c), state.counters[c]])),
  };
  if (state.lastError !== undefined) shown.last_error = state.lastError;
  if (state.nextAttemptAt !== undefined && state.phase === ConnectionPhase.Retrying) {
    shown.next_attempt_at = state.nextAttemptAt.toISOString();
  }
  return shown;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
