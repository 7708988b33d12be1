import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** One series of a {@link SeriesCounter}: add to `value`. */
export interface CounterSeries {
  value: number;
}

/**
 * A prom-client counter for the invocation path. prom-client hashes the labels of every `inc`
 * (about a microsecond with a few labels); here each series is a plain number its owner keeps and
 * adds to, folded into the prom-client counter when it is scraped.
 */
export class SeriesCounter<L extends string> {
  readonly #series: { labels: Record<L, string>; counted: CounterSeries }[] = [];

  constructor(config: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    const series = this.#series;
    new Counter<L>({
      ...config,
      collect() {
        this.reset();
        for (const s of series) this.inc(s.labels, s.counted.value);
      },
    });
  }

  /**
   * A new series, at 0. Keep it: every call adds a series (their number is the caller's to bound,
   * by making one per label set).
   */
  series(labels: Record<L, string>): CounterSeries {
    const counted: CounterSeries = { value: 0 };
    this.#series.push({ labels: { ...labels }, counted });
    return counted;
  }
}
