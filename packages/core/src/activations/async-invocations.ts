import { setTimeout as sleep } from 'node:timers/promises';

import { ErrorCode, FlError } from '@funless/protocol';
import type { Logger } from 'pino';

import type { Cluster, ClusterFunction } from '../cluster/index.js';
import type { AsyncQueueMetrics } from '../metrics/index.js';
import type { PlacementPolicy, SchedulingRequest } from '../scheduling/index.js';
import type { ActivationOutcome, ActivationStore } from '../store/index.js';
import { activationTime } from './activation-id.js';
import type { ActivationIds } from './activation-id.js';
import { failureOutcome, INTERNAL_ERROR_MESSAGE } from './activation-outcome.js';
import { runInvocation } from './run-invocation.js';

/** What the asynchronous invocations of a Core work with. */
export interface AsyncInvocationsContext {
  store: ActivationStore;
  cluster: Cluster;
  /** The ids of this Core's activations (shared with its recorder, so all increase together). */
  ids: ActivationIds;
  /** The function to run, looked up when the invocation starts; undefined when it is gone. */
  lookup(module: string, name: string): Promise<ClusterFunction | undefined>;
  /** The placement policy of a `scheduling` request (rejects for an APP script that is gone). */
  policy(scheduling: SchedulingRequest | undefined): Promise<PlacementPolicy>;
  logger: Logger;
  /** Told the depth of the queue whenever it changes (`fl_async_queue_depth`). */
  metrics?: AsyncQueueMetrics;
}

/** How a Core runs asynchronous invocations (docs/activations.md). */
export interface AsyncInvocationsOptions {
  /** Invocations held waiting (`FL_ASYNC_QUEUE_MAX`); one more is refused with 503. @default 1_000 */
  queueMax: number;
  /** Invocations run at once (`FL_ASYNC_CONCURRENCY`). @default 16 */
  concurrency: number;
  /** Time limit of one invocation, in ms. @default 60_000 */
  invokeTimeoutMs: number;
  /**
   * How often an idle Core looks for invocations queued by others (or left by a Core that is gone),
   * and ends those whose deadline passed, in ms. @default 5_000
   */
  pollIntervalMs?: number;
  /**
   * Added to the time limit for a running invocation's deadline, in ms: past it the invocation has
   * surely ended, whatever happened to its Core (the cluster's grace for a Worker's answer plus room
   * for clocks that differ between Cores). @default 65_000
   */
  deadlineMarginMs?: number;
  /** Attempts at recording an outcome while the database fails, 1 s apart. @default 3 */
  finishAttempts?: number;
  /**
   * An invocation no Worker can take (`no_worker`, `overloaded`: nothing ran) goes back to the queue
   * and is tried again this long after, in ms. @default 1_000
   */
  retryDelayMs?: number;
  /**
   * How long an invocation may wait for a Worker that can take it, from its first try, in ms; then
   * it ends with the error of its last try. @default `invokeTimeoutMs`
   */
  workerWaitMs?: number;
}

/** Failures of an invocation that did not start: it may be tried again, as it never ran. */
const NOT_STARTED: ReadonlySet<string> = new Set([ErrorCode.NoWorker, ErrorCode.Overloaded]);

/** An invocation to run later, as the invoke route accepted it. */
export interface AsyncSubmission {
  fn: ClusterFunction;
  /** The raw JSON of `args`. */
  input: Uint8Array;
  scheduling: SchedulingRequest | undefined;
  /** The subject whose token asked for it. */
  subject: string | null;
  /** Depth in a chain of functions calling functions (`X-Fl-Chain-Depth`). */
  chainDepth: number;
}

/** The message of an activation whose Core stopped while it ran. */
export const INTERRUPTED_MESSAGE =
  'the Core stopped while this invocation ran: it may or may not have run to its end, and is not run again';

/**
 * The asynchronous invocations of one Core: accepted into the database before they are answered
 * (`submit`), run in the order they came, at most `concurrency` at once, each claimed in the
 * database first so that no two Cores run it. On start the Core ends as `interrupted` what it was
 * running when it last stopped and runs what is still queued. See docs/activations.md.
 */
export class AsyncInvocations {
  readonly counters = { accepted: 0, refused: 0, started: 0, finished: 0, interrupted: 0 };

  readonly #ctx: AsyncInvocationsContext;
  readonly #options: Required<AsyncInvocationsOptions>;
  /** Ids waiting to run here, oldest first. */
  #waiting: string[] = [];
  #waitingSet = new Set<string>();
  /** Submissions being stored: they count against the queue. */
  #storing = 0;
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #closed = false;
  /** When each invocation waiting for a Worker was first tried. */
  readonly #firstTry = new Map<string, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  /** Set when closing gave up waiting: outcomes that arrive later are not recorded. */
  #abandoned = false;
  /** This Core's id (`$FL_DATA_DIR/core-id`), named on the activations it claims; set by `start`. */
  #runner: string | undefined;

  constructor(context: AsyncInvocationsContext, options: AsyncInvocationsOptions) {
    this.#ctx = context;
    this.#options = {
      pollIntervalMs: 5_000,
      deadlineMarginMs: 65_000,
      finishAttempts: 3,
      retryDelayMs: 1_000,
      workerWaitMs: options.invokeTimeoutMs,
      ...options,
    };
  }

  /** Invocations waiting to run on this Core. */
  get queued(): number {
    return this.#waiting.length + this.#storing;
  }

  /** Invocations running now on this Core. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Ends as `interrupted` what this Core (`runner`, its id) was running when it last stopped, then
   * takes up the queued ones and starts looking for more. Nothing runs before.
   */
  async start(runner: string): Promise<void> {
    if (this.#runner !== undefined) return;
    const interrupted = await this.#ctx.store.interrupt(INTERRUPTED_MESSAGE, { runner });
    this.#runner = runner;
    this.counters.interrupted += interrupted;
    if (interrupted > 0) {
      this.#ctx.logger.warn(
        { interrupted },
        'activations: asynchronous invocations were running when this Core last stopped; they end as interrupted',
      );
    }
    if (this.#closed) return;
    this.#timer = setInterval(() => this.#poll(), this.#options.pollIntervalMs).unref();
    this.#poll();
    await this.#polling;
  }

  /**
   * Stores the invocation as `queued` and resolves to its activation id once it is durable; it runs
   * when a slot is free. Rejects with `overloaded` (503) when the queue is full.
   */
  async submit(submission: AsyncSubmission): Promise<string> {
    if (this.#closed) throw new FlError(ErrorCode.Unavailable, 'the Core is shutting down');
    if (this.queued >= this.#options.queueMax) {
      this.counters.refused++;
      throw new FlError(
        ErrorCode.Overloaded,
        `the queue of asynchronous invocations is full: ${this.queued} are waiting, the limit of this Core is ${this.#options.queueMax} (FL_ASYNC_QUEUE_MAX)`,
      );
    }
    const id = this.#ctx.ids.next();
    this.#storing++;
    this.#depthChanged();
    try {
      await this.#ctx.store.enqueue({
        id,
        module: submission.fn.module,
        function: submission.fn.name,
        subject: submission.subject,
        input: submission.input,
        scheduling: submission.scheduling === undefined ? null : JSON.stringify(submission.scheduling),
        chainDepth: submission.chainDepth,
      });
    } finally {
      this.#storing--;
      this.#depthChanged();
    }
    this.counters.accepted++;
    this.#enqueue(id);
    this.#pump();
    return id;
  }

  /**
   * Stops taking invocations (the queued ones stay in the database for the next start), lets the
   * running ones finish for at most `timeoutMs`, then ends those still running as `interrupted`.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#waiting = [];
    this.#waitingSet.clear();
    this.#depthChanged();
    await this.#polling;
    if (this.#running.size === 0 || this.#runner === undefined) return;
    const runner = this.#runner;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      Promise.all(this.#running.values()).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!gaveUp) return;
    this.#abandoned = true;
    const n = await this.#ctx.store.interrupt(INTERRUPTED_MESSAGE, { runner }).catch((error: unknown) => {
      this.#ctx.logger.error({ err: error }, 'activations: could not mark running invocations interrupted');
      return 0;
    });
    this.counters.interrupted += n;
  }

  #enqueue(id: string): void {
    if (this.#waitingSet.has(id) || this.#running.has(id)) return;
    this.#waiting.push(id);
    this.#waitingSet.add(id);
    this.#depthChanged();
  }

  #depthChanged(): void {
    this.#ctx.metrics?.setAsyncQueueDepth(this.queued);
  }

  #pump(): void {
    const runner = this.#runner;
    if (runner === undefined) return;
    while (!this.#closed && this.#running.size < this.#options.concurrency && this.#waiting.length > 0) {
      const id = this.#waiting.shift()!;
      this.#waitingSet.delete(id);
      this.#depthChanged();
      const run = this.#run(id, runner).finally(() => {
        this.#running.delete(id);
        this.#pump();
      });
      this.#running.set(id, run);
    }
  }

  /** Looks for work when idle: invocations queued by another Core or an earlier process. */
  #poll(): void {
    if (this.#closed || this.#polling) return;
    this.#polling = (async () => {
      try {
        const expired = await this.#ctx.store.interrupt(INTERRUPTED_MESSAGE, { now: new Date() });
        this.counters.interrupted += expired;
        if (this.#waiting.length > 0 || this.#running.size >= this.#options.concurrency) return;
        const ids = await this.#ctx.store.queued(this.#options.queueMax);
        for (const id of ids) this.#enqueue(id);
        this.#pump();
      } catch (error) {
        this.#ctx.logger.warn({ err: error }, 'activations: looking for queued invocations failed');
      }
    })().finally(() => (this.#polling = undefined));
  }

  async #run(id: string, runner: string): Promise<void> {
    const { store, logger } = this.#ctx;
    const deadline = new Date(Date.now() + this.#options.invokeTimeoutMs + this.#options.deadlineMarginMs);
    let claimed;
    try {
      claimed = await store.claim(id, runner, deadline);
    } catch (error) {
      // It stays queued: the next poll takes it up again.
      logger.warn({ err: error, activationId: id }, 'activations: could not claim a queued invocation');
      return;
    }
    if (!claimed) return;
    this.counters.started++;
    const accepted = activationTime(id).getTime();
    const totalMs = () => Math.max(0, Date.now() - accepted);
    let outcome: ActivationOutcome;
    let fn: ClusterFunction | undefined;
    try {
      fn = await this.#ctx.lookup(claimed.module, claimed.function);
      if (!fn) {
        throw new FlError(
          ErrorCode.NotFound,
          `function ${claimed.module}/${claimed.function} not found: it was deleted after this invocation was accepted`,
        );
      }
      const scheduling =
        claimed.scheduling === null ? undefined : (JSON.parse(claimed.scheduling) as SchedulingRequest);
      const policy = await this.#ctx.policy(scheduling);
      const run = await runInvocation(
        this.#ctx.cluster,
        fn,
        claimed.input,
        { policy, timeoutMs: this.#options.invokeTimeoutMs, chainDepth: claimed.chainDepth },
        totalMs,
      );
      outcome = run.outcome;
      if (!run.ok && NOT_STARTED.has(outcome.status) && (await this.#retryLater(id, runner))) return;
      this.#firstTry.delete(id);
      if (!run.ok && outcome.status === ErrorCode.Internal) {
        logger.error({ err: run.error, activationId: id }, 'activations: an asynchronous invocation failed');
      }
    } catch (error) {
      outcome = failureOutcome(fn, {}, error, totalMs());
      if (outcome.error === INTERNAL_ERROR_MESSAGE) {
        logger.error({ err: error, activationId: id }, 'activations: an asynchronous invocation failed');
      }
    }
    await this.#finish(id, outcome);
  }

  /**
   * Puts an invocation no Worker could take back in the queue, to be tried again after
   * `retryDelayMs`, unless it has waited `workerWaitMs` already. Resolves to whether it did.
   */
  async #retryLater(id: string, runner: string): Promise<boolean> {
    const now = Date.now();
    const first = this.#firstTry.get(id) ?? now;
    if (this.#closed || now - first >= this.#options.workerWaitMs) return false;
    this.#firstTry.set(id, first);
    try {
      if (!(await this.#ctx.store.release(id, runner))) return true;
    } catch (error) {
      // It stays running until its deadline passes, then ends as interrupted.
      this.#ctx.logger.warn(
        { err: error, activationId: id },
        'activations: could not put an invocation back in the queue',
      );
      return true;
    }
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      this.#enqueue(id);
      this.#pump();
    }, this.#options.retryDelayMs).unref();
    this.#retryTimers.add(timer);
    return true;
  }

  async #finish(id: string, outcome: ActivationOutcome): Promise<void> {
    for (let attempt = 1; !this.#abandoned; attempt++) {
      try {
        await this.#ctx.store.finish(id, outcome);
        this.counters.finished++;
        return;
      } catch (error) {
        if (attempt >= this.#options.finishAttempts) {
          // It stays running until its deadline passes, then ends as interrupted.
          this.#ctx.logger.error(
            { err: error, activationId: id, status: outcome.status },
            'activations: the outcome of an asynchronous invocation could not be recorded',
          );
          return;
        }
        await sleep(1_000);
      }
    }
  }
}
