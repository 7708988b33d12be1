/** What the queue of asynchronous invocations tells the metrics (`fl_async_queue_depth`). */
export interface AsyncQueueMetrics {
  /** Invocations accepted (202) that have not started yet; set whenever it changes. */
  setAsyncQueueDepth(depth: number): void;
}
