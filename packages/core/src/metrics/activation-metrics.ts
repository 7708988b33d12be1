/**
 * What the activation records tell the metrics (`fl_activation_records_written_total`,
 * `fl_activation_records_pruned_total`): the recorder counts what it wrote, the retention what it
 * pruned.
 */
export interface ActivationMetrics {
  recordsWritten(count: number): void;
  recordsPruned(count: number): void;
}
