import { MIB } from '@funless/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { ActivationMetrics } from './activation-metrics.js';
import type { AsyncQueueMetrics } from './async-queue-metrics.js';
import type { EventMetrics } from './event-metrics.js';
import type { ClusterMetrics, CodePush, PolicyKind, SchedulingDecision } from './cluster-metrics.js';
import type { InvocationEnd } from './invocation-metrics.js';
import { processMetricsRegistry } from './process-metrics.js';
import { SeriesCounter } from './series-counter.js';
import type { CounterSeries } from './series-counter.js';
import { SeriesHistogram } from './series-histogram.js';
import type { HistogramSeries } from './series-histogram.js';

/** One Worker as the per-Worker gauges read it (`WorkerInfo` of `GET /v1/workers` fits). */
export interface WorkerGaugeSource {
  name: string;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
  inFlight: number;
  threads: number;
  cpuUse: number | null;
  loadAverage: readonly [number, number, number] | null;
}

export interface CoreMetricsOptions {
  /** The Workers joined now, read at every scrape. */
  workers: () => readonly WorkerGaugeSource[];
}

/**
 * Histogram buckets, in seconds. An invocation on `fl up` takes about 0.3 ms end to end and may
 * run up to `FL_INVOKE_TIMEOUT_MS`; the platform's own share is tens of µs; a policy decides in µs;
 * a push waits for every Worker's disk.
 */
export const METRIC_BUCKETS = {
  invocationSeconds: [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
  ],
  overheadSeconds: [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1,
  ],
  schedulingSeconds: [
    0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.001, 0.01,
  ],
  pushSeconds: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
} as const;

/** One function's series, made at its first invocation. */
interface FunctionSeries {
  duration: HistogramSeries;
  byStatus: Map<string, CounterSeries>;
}

/** A policy's series: decisions by outcome, and their time. */
interface PolicySeries {
  placed: CounterSeries;
  noWorker: CounterSeries;
  seconds: HistogramSeries;
}

/**
 * The Core's metrics, in one prom-client registry per Core app (not prom-client's global one, so
 * that several apps in one process keep their own counts), served by `GET /metrics` together with
 * the process metrics. Label values are bounded: module and function name stored functions,
 * status is `success` or an error code, a Worker label is a joined Worker's name, the rest are
 * fixed sets; no activation id, argument or APP script name is ever a label. What every
 * invocation feeds costs a few additions (series-counter.ts, series-histogram.ts). See
 * docs/architecture.md, "Observability".
 */
export class CoreMetrics implements ClusterMetrics, ActivationMetrics, AsyncQueueMetrics, EventMetrics {
  readonly #registry = new Registry();
  /** This app's metrics and the process's, as one exposition. */
  readonly #exposed: Registry;
  readonly #invocations: SeriesCounter<'module' | 'function' | 'status'>;
  readonly #duration: SeriesHistogram<'module' | 'function'>;
  readonly #overhead: HistogramSeries;
  readonly #policies: Record<PolicyKind, PolicySeries>;
  /** Series by module, then function: as many as the functions that ran. */
  readonly #functions = new Map<string, Map<string, FunctionSeries>>();
  readonly #pushes: Counter<'outcome'>;
  readonly #pushSeconds: Histogram;
  readonly #written: Counter;
  readonly #pruned: Counter;
  readonly #queueDepth: Gauge;
  readonly #eventMessages: Counter<'type'>;
  readonly #eventInvocations: Counter<'type'>;
  readonly #eventDropped: Counter<'type'>;
  readonly #sinkDeliveries: Counter<'type' | 'outcome'>;

  constructor(options: CoreMetricsOptions) {
    const registers = [this.#registry];
    this.#invocations = new SeriesCounter({
      name: 'fl_invocations_total',
      help: 'Invocations that ended, by function and status (success or the error code)',
      labelNames: ['module', 'function', 'status'],
      registers,
    });
    this.#duration = new SeriesHistogram({
      name: 'fl_invocation_duration_seconds',
      help: 'Time from the Core taking an invocation to its answer, by function',
      buckets: METRIC_BUCKETS.invocationSeconds,
      registers,
    });
    this.#overhead = new SeriesHistogram({
      name: 'fl_invocation_overhead_seconds',
      help: "The platform's share of an invocation: its time in the Core minus the guest's own time",
      buckets: METRIC_BUCKETS.overheadSeconds,
      registers,
    }).series({});
    const decisions = new SeriesCounter({
      name: 'fl_scheduling_decisions_total',
      help: 'Placement decisions, by policy (default, app) and outcome (placed, no_worker)',
      labelNames: ['policy', 'outcome'],
      registers,
    });
    const decisionSeconds = new SeriesHistogram<'policy'>({
      name: 'fl_scheduling_duration_seconds',
      help: 'Time a placement policy took to decide',
      buckets: METRIC_BUCKETS.schedulingSeconds,
      registers,
    });
    const policy = (kind: PolicyKind): PolicySeries => ({
      placed: decisions.series({ policy: kind, outcome: 'placed' }),
      noWorker: decisions.series({ policy: kind, outcome: 'no_worker' }),
      seconds: decisionSeconds.series({ policy: kind }),
    });
    this.#policies = { default: policy('default'), app: policy('app') };
    this.#pushes = new Counter({
      name: 'fl_code_pushes_total',
      help: 'Pushes of code to the Workers, by outcome (complete, or incomplete when a Worker missed it)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['complete', 'incomplete']) this.#pushes.inc({ outcome }, 0);
    this.#pushSeconds = new Histogram({
      name: 'fl_code_push_duration_seconds',
      help: 'Time a push took until every Worker acknowledged or the push limit passed',
      buckets: [...METRIC_BUCKETS.pushSeconds],
      registers,
    });
    this.#written = new Counter({
      name: 'fl_activation_records_written_total',
      help: 'Activation records written to the database',
      registers,
    });
    this.#pruned = new Counter({
      name: 'fl_activation_records_pruned_total',
      help: 'Activation records removed by retention',
      registers,
    });
    this.#queueDepth = new Gauge({
      name: 'fl_async_queue_depth',
      help: 'Asynchronous invocations accepted and not started yet',
      registers,
    });
    this.#eventMessages = new Counter({
      name: 'fl_event_messages_total',
      help: 'Messages (and schedule runs) that arrived for events, by event type',
      labelNames: ['type'],
      registers,
    });
    this.#eventInvocations = new Counter({
      name: 'fl_event_invocations_total',
      help: 'Invocations started by events, by event type',
      labelNames: ['type'],
      registers,
    });
    this.#eventDropped = new Counter({
      name: 'fl_event_messages_dropped_total',
      help: 'Event messages that became no invocation (over the input limit, function gone, overlapping schedule run), by event type',
      labelNames: ['type'],
      registers,
    });
    this.#sinkDeliveries = new Counter({
      name: 'fl_sink_deliveries_total',
      help: 'Results handed to sinks, by sink type and outcome (delivered, or failed after every attempt)',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.#workerGauges(options.workers);
    this.#exposed = Registry.merge([processMetricsRegistry(), this.#registry]);
  }

  /** The `Content-Type` of `exposition()`: Prometheus text format 0.0.4. */
  get contentType(): string {
    return this.#exposed.contentType;
  }

  /** Every metric, in Prometheus text format. */
  exposition(): Promise<string> {
    return this.#exposed.metrics();
  }

  invocationEnded(end: InvocationEnd): void {
    const fn = this.#functionSeries(end.module, end.function);
    let counted = fn.byStatus.get(end.status);
    if (!counted) {
      counted = this.#invocations.series({ module: end.module, function: end.function, status: end.status });
      fn.byStatus.set(end.status, counted);
    }
    counted.value++;
    const seconds = end.totalMs / 1000;
    fn.duration.observe(seconds);
    if (end.durationMs !== undefined) this.#overhead.observe(Math.max(0, seconds - end.durationMs / 1000));
  }

  scheduled(decision: SchedulingDecision): void {
    const policy = this.#policies[decision.policy];
    (decision.placed ? policy.placed : policy.noWorker).value++;
    policy.seconds.observe(decision.seconds);
  }

  pushed(push: CodePush): void {
    this.#pushes.inc({ outcome: push.missing === 0 ? 'complete' : 'incomplete' });
    this.#pushSeconds.observe(push.seconds);
  }

  recordsWritten(count: number): void {
    this.#written.inc(count);
  }

  recordsPruned(count: number): void {
    this.#pruned.inc(count);
  }

  setAsyncQueueDepth(depth: number): void {
    this.#queueDepth.set(depth);
  }

  eventReceived(type: string): void {
    this.#eventMessages.inc({ type });
  }

  eventInvoked(type: string): void {
    this.#eventInvocations.inc({ type });
  }

  eventDropped(type: string): void {
    this.#eventDropped.inc({ type });
  }

  sinkDelivery(type: string, outcome: 'delivered' | 'failed'): void {
    this.#sinkDeliveries.inc({ type, outcome });
  }

  #functionSeries(module: string, name: string): FunctionSeries {
    let functions = this.#functions.get(module);
    if (!functions) this.#functions.set(module, (functions = new Map<string, FunctionSeries>()));
    let series = functions.get(name);
    if (!series) {
      series = { duration: this.#duration.series({ module, function: name }), byStatus: new Map() };
      functions.set(name, series);
    }
    return series;
  }

  /** Gauges read from the Workers at every scrape; a Worker that left has no series any more. */
  #workerGauges(workers: () => readonly WorkerGaugeSource[]): void {
    const registers = [this.#registry];
    new Gauge({
      name: 'fl_workers_connected',
      help: 'Workers joined to this Core',
      registers,
      collect() {
        this.set(workers().length);
      },
    });
    const perWorker = (
      name: string,
      help: string,
      value: (w: WorkerGaugeSource) => number | null | undefined,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ['worker'],
        registers,
        collect() {
          this.reset();
          for (const w of workers()) {
            const v = value(w);
            if (v !== null && v !== undefined) this.set({ worker: w.name }, v);
          }
        },
      });
    };
    perWorker(
      'fl_worker_memory_total_bytes',
      'Memory the Worker offers to functions',
      (w) => w.memoryTotalMiB * MIB,
    );
    perWorker(
      'fl_worker_memory_free_bytes',
      "Memory free on the Worker for this Core's next invocation (its last report net of what this Core placed since)",
      (w) => w.memoryFreeMiB * MIB,
    );
    perWorker('fl_worker_in_flight', 'Invocations this Core has running on the Worker', (w) => w.inFlight);
    perWorker('fl_worker_threads', 'Invocations the Worker runs at once', (w) => w.threads);
    perWorker(
      'fl_worker_cpu_use_ratio',
      "Share of the Worker machine's CPU time busy (all cores, 0 to 1), from its last report",
      (w) => w.cpuUse,
    );
    perWorker(
      'fl_worker_load1',
      "The Worker machine's load average over 1 minute",
      (w) => w.loadAverage?.[0],
    );
    perWorker(
      'fl_worker_load5',
      "The Worker machine's load average over 5 minutes",
      (w) => w.loadAverage?.[1],
    );
    perWorker(
      'fl_worker_load15',
      "The Worker machine's load average over 15 minutes",
      (w) => w.loadAverage?.[2],
    );
  }
}
