import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { PrometheusFamily } from 'parse-prometheus-text-format';

/**
 * A `GET /metrics` answer read with a Prometheus text-format parser from npm: every metric family
 * by name. The parser throws on any line Prometheus would not read.
 *
 * The parser reads counters and gauges with their labels, and histograms without labels (their
 * `count` and `sum`); a labelled histogram's series it folds into one, so tests check those by
 * family and type only.
 */
export class PrometheusText {
  readonly families: ReadonlyMap<string, PrometheusFamily>;

  constructor(text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  }

  /** Every name a query may select: family names, and a histogram's `_bucket`, `_sum` and `_count`. */
  names(): Set<string> {
    const names = new Set<string>();
    for (const family of this.families.values()) {
      names.add(family.name);
      if (family.type === 'HISTOGRAM' || family.type === 'SUMMARY') {
        for (const suffix of ['_sum', '_count', ...(family.type === 'HISTOGRAM' ? ['_bucket'] : [])]) {
          names.add(`${family.name}${suffix}`);
        }
      }
    }
    return names;
  }

  type(name: string): string | undefined {
    return this.families.get(name)?.type;
  }

  /** The value of the counter or gauge sample whose labels include `labels`; undefined if none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const sample = this.families
      .get(name)
      ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return sample?.value === undefined ? undefined : Number(sample.value);
  }

  /** The label sets of a counter's or gauge's samples. */
  labelSets(name: string): Record<string, string>[] {
    return (this.families.get(name)?.metrics ?? []).map((m) => m.labels ?? {});
  }

  /** An unlabelled histogram's observation count. */
  histogramCount(name: string): number | undefined {
    const count = this.families.get(name)?.metrics[0]?.count;
    return count === undefined ? undefined : Number(count);
  }
}
