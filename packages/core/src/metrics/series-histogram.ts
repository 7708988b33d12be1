import type { Metric, Registry } from 'prom-client';

/** One series of a {@link SeriesHistogram}. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

type Labels = Record<string, string | number>;

/** One line of the exposition: `labels` are written first, then `sharedLabels` (as prom-client's do). */
interface ExposedValue {
  metricName: string;
  labels: Labels;
  sharedLabels?: Labels;
  value: number;
}

/** What a prom-client `Registry` reads from a metric to write it out. */
interface ExposedMetric {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  /** For the text exposition (`registry.metrics()`). */
  getForPromString(): Promise<ExposedValues>;
  /** For `registry.getMetricsAsJSON()`: every value with all its labels. */
  get(): Promise<ExposedValues>;
}

interface ExposedValues {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: ExposedValue[];
}

/**
 * A histogram for the invocation path, written out by prom-client's registry exactly as its own
 * `Histogram` is (the tests compare the two). A prom-client histogram keeps each series' buckets
 * in an object keyed by the bound as a string, so every `observe` formats a float and hashes the
 * labels (several microseconds under load, measured); here a series is a handle its owner keeps,
 * and an observation a few comparisons and additions. The registry reads it through
 * `getForPromString()` and `get()`, the contract its own metrics follow.
 */
export class SeriesHistogram<L extends string> implements ExposedMetric {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series: { labels: Record<L, string>; series: HistogramSeries }[] = [];

  constructor(config: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    this.name = config.name;
    this.help = config.help;
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
    // The registry takes any metric that answers as its own do.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /**
   * A new series, empty. Keep it: every call adds a series (their number is the caller's to
   * bound, by making one per label set).
   */
  series(labels: Record<L, string>): HistogramSeries {
    const series = new HistogramSeries(this.#bounds);
    this.#series.push({ labels: { ...labels }, series });
    return series;
  }

  getForPromString(): Promise<ExposedValues> {
    const bucket = `${this.name}_bucket`;
    const values: ExposedValue[] = [];
    for (const { labels: sharedLabels, series } of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += series.counts[i]!;
        values.push({ metricName: bucket, labels: { le }, sharedLabels, value: cumulative });
      });
      values.push({ metricName: bucket, labels: { le: '+Inf' }, sharedLabels, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: {}, sharedLabels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: {}, sharedLabels, value: series.count });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  async get(): Promise<ExposedValues> {
    const exposed = await this.getForPromString();
    exposed.values = exposed.values.map(({ metricName, labels, sharedLabels, value }) => ({
      metricName,
      labels: { ...labels, ...sharedLabels },
      value,
    }));
    return exposed;
  }
}
