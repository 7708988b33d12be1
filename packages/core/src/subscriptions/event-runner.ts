import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { ErrorCode, FlError, INVOCATION_LIMITS } from '@funless/protocol';
import type { Logger } from 'pino';

import { elapsedMs, runInvocation } from '../activations/index.js';
import type { ActivationRecorder, InvocationRun } from '../activations/index.js';
import type { Cluster, ClusterFunction } from '../cluster/index.js';
import type { ConnectionState } from '../connections/index.js';
import type { AcceptedEvent, EventMessage } from '../events/index.js';
import type { EventMetrics } from '../metrics/index.js';
import type { Sink } from '../sinks/index.js';
import type { ActivationTrigger, SinkDelivery } from '../store/index.js';
import { SinkOn } from './connection-types.js';

/** A sink of a function, running. */
export interface ActiveSink {
  /** Its place in the function's `sinks`. */
  index: number;
  type: string;
  on: SinkOn;
  sink: Sink;
  state: ConnectionState;
}

/** One message of one event of one function. */
export interface EventJob extends EventMessage {
  module: string;
  name: string;
  /** The event type (`mqtt`, `nats`, `schedule`). */
  type: string;
  trigger: ActivationTrigger;
  /** The event's state, whose counters this message feeds. */
  state: ConnectionState;
  /** The function's sinks when the invocation ends. */
  sinks: () => readonly ActiveSink[];
}

export interface EventRunnerContext {
  cluster: Cluster;
  /** The function as invocations need it; undefined when it is gone. */
  lookup(module: string, name: string): Promise<ClusterFunction | undefined>;
  activations: ActivationRecorder;
  metrics: EventMetrics;
  logger: Logger;
}

export interface EventRunnerOptions {
  /** Invocations (with their deliveries) at once (`FL_EVENT_CONCURRENCY`). */
  concurrency: number;
  /** Time limit of one invocation, in ms (`FL_INVOKE_TIMEOUT_MS`). */
  invokeTimeoutMs: number;
  /** Attempts at delivering a result to one sink. @default 3 */
  sinkAttempts?: number;
  /** Wait before the second attempt, doubled before each next one, in ms. @default 250 */
  sinkRetryMs?: number;
}

/**
 * Runs the invocations that events start, through the same path as the API's (`runInvocation`)
 * and recorded as activations with their trigger, source and deliveries. At most `concurrency` run
 * at once: `accept` waits for a free slot, so a source that acknowledges after `accept` holds
 * further messages at its broker (docs/events.md, "Back-pressure").
 */
export class EventRunner {
  #active = 0;
  readonly #waiters: { go: () => void; stop: (e: Error) => void }[] = [];
  readonly #running = new Set<Promise<void>>();
  #closed = false;
  readonly #options: Required<EventRunnerOptions>;

  constructor(
    private readonly context: EventRunnerContext,
    options: EventRunnerOptions,
  ) {
    this.#options = { sinkAttempts: 3, sinkRetryMs: 250, ...options };
  }

  /** Invocations running now. */
  get active(): number {
    return this.#active;
  }

  /**
   * Starts an invocation for `job` once a slot is free. Resolves when it started (or was dropped:
   * too large, function gone); rejects only when the runner is closing, so that the message is not
   * acknowledged.
   */
  async accept(job: EventJob): Promise<AcceptedEvent> {
    const { metrics } = this.context;
    job.state.counters.messagesReceived++;
    metrics.eventReceived(job.type);
    await this.#slot();
    let fn: ClusterFunction | undefined;
    try {
      fn = await this.context.lookup(job.module, job.name);
    } catch (error) {
      // The database did not answer: the message is dropped (and counted) rather than left
      // unacknowledged, which would hold every later message of its subscription.
      this.context.logger.warn(
        { err: error, module: job.module, function: job.name },
        'event message dropped: the function could not be read',
      );
    }
    if (this.#closed) {
      this.#release();
      throw closing();
    }
    const tooLarge = job.args.byteLength > INVOCATION_LIMITS.maxInputBytes;
    if (!fn || tooLarge) {
      this.#release();
      job.state.counters.messagesDropped++;
      metrics.eventDropped(job.type);
      this.context.logger.warn(
        { module: job.module, function: job.name, source: job.source, bytes: job.args.byteLength },
        fn
          ? `event message dropped: larger than the input limit of ${INVOCATION_LIMITS.maxInputBytes} bytes`
          : 'event message dropped: the function is gone',
      );
      return { done: Promise.resolve() };
    }
    job.state.counters.invocationsStarted++;
    metrics.eventInvoked(job.type);
    const done = this.#run(fn, job).finally(() => {
      this.#release();
      this.#running.delete(done);
    });
    this.#running.add(done);
    return { done };
  }

  #slot(): Promise<void> {
    if (this.#closed) return Promise.reject(closing());
    if (this.#active < this.#options.concurrency) {
      this.#active++;
      return Promise.resolve();
    }
    // Bounded: every running invocation ends within its time limit plus its sinks' attempts.
    return new Promise((go, stop) => this.#waiters.push({ go: () => go(), stop }));
  }

  #release(): void {
    const next = this.#waiters.shift();
    if (next) next.go();
    else this.#active--;
  }

  async #run(fn: ClusterFunction, job: EventJob): Promise<void> {
    const { activations, cluster } = this.context;
    const id = activations.ids.next();
    const started = performance.now();
    const run = await runInvocation(
      cluster,
      fn,
      job.args,
      { timeoutMs: this.#options.invokeTimeoutMs, chainDepth: 0 },
      () => elapsedMs(started),
    );
    const deliveries = await this.#deliver(id, job, run);
    if (activations.enabled) {
      activations.record({
        id,
        module: job.module,
        function: job.name,
        trigger: job.trigger,
        subject: null,
        source: job.source,
        deliveries,
        ...run.outcome,
      });
    }
  }

  async #deliver(id: string, job: EventJob, run: InvocationRun): Promise<SinkDelivery[]> {
    const sinks = job
      .sinks()
      .filter((s) => s.on === SinkOn.All || s.on === (run.ok ? SinkOn.Success : SinkOn.Error));
    if (sinks.length === 0) return [];
    const body = envelope(id, job, run);
    return Promise.all(sinks.map((s) => this.#deliverTo(s, body)));
  }

  async #deliverTo(target: ActiveSink, body: Buffer): Promise<SinkDelivery> {
    let error = '';
    for (let attempt = 1; attempt <= this.#options.sinkAttempts; attempt++) {
      try {
        await target.sink.deliver(body);
        target.state.counters.resultsDelivered++;
        this.context.metrics.sinkDelivery(target.type, 'delivered');
        return { sink: target.index, type: target.type, status: 'delivered', attempts: attempt };
      } catch (e) {
        error = (e as Error).message;
        if (attempt < this.#options.sinkAttempts) await sleep(this.#options.sinkRetryMs * 2 ** (attempt - 1));
      }
    }
    target.state.counters.deliveryFailures++;
    target.state.lastError = error;
    this.context.metrics.sinkDelivery(target.type, 'failed');
    this.context.logger.warn({ sink: target.type, error }, 'sink delivery failed');
    return {
      sink: target.index,
      type: target.type,
      status: 'failed',
      attempts: this.#options.sinkAttempts,
      error,
    };
  }

  /**
   * Takes no more messages (those waiting for a slot are not acknowledged), and waits at most
   * `timeoutMs` for the running invocations and their deliveries.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.stop(closing());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#running]),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
}

function closing(): FlError {
  return new FlError(ErrorCode.Unavailable, 'the Core is stopping: the message stays with its broker');
}

/**
 * What a sink gets (docs/events.md, "The envelope"): the activation id, function, trigger,
 * source, time and status, then the guest's result as its JSON bytes, or the error.
 */
export function envelope(id: string, job: EventJob, run: InvocationRun): Buffer {
  const head = {
    activation_id: id,
    module: job.module,
    function: job.name,
    trigger: job.trigger,
    source: job.source,
    time: new Date().toISOString(),
    status: run.ok ? 'success' : 'error',
  };
  if (!run.ok) {
    return Buffer.from(
      JSON.stringify({ ...head, error: { code: run.outcome.status, message: run.outcome.error } }),
    );
  }
  const text = JSON.stringify(head);
  return Buffer.concat([Buffer.from(`${text.slice(0, -1)},"result":`), run.result, Buffer.from('}')]);
}
