/** Where an event subscription or a sink stands (docs/events.md, "State"). */
export const ConnectionPhase = {
  /** The first attempt has not ended yet. */
  Connecting: 'connecting',
  Connected: 'connected',
  /** Not connected; tried again at `nextAttemptAt`. */
  Retrying: 'retrying',
  /** Refused for good (credentials, authorization): not tried again until the function changes. */
  Failed: 'failed',
} as const;
export type ConnectionPhase = (typeof ConnectionPhase)[keyof typeof ConnectionPhase];

/** What each event or sink counts on this Core since it started. */
export interface ConnectionCounters {
  /** Messages (or schedule runs) that arrived. */
  messagesReceived: number;
  /** Invocations started from them. */
  invocationsStarted: number;
  /** Messages that could not become an invocation (payload over the input limit, function gone). */
  messagesDropped: number;
  /** Results a sink took. */
  resultsDelivered: number;
  /** Results a sink did not take after every attempt. */
  deliveryFailures: number;
}

/** The state of one event subscription or sink, as `GET /v1/fn/:mod/:fn` shows it. */
export class ConnectionState {
  phase: ConnectionPhase = ConnectionPhase.Connecting;
  lastError: string | undefined;
  nextAttemptAt: Date | undefined;
  readonly counters: ConnectionCounters = {
    messagesReceived: 0,
    invocationsStarted: 0,
    messagesDropped: 0,
    resultsDelivered: 0,
    deliveryFailures: 0,
  };
  readonly #waiters = new Set<() => void>();

  connected(): void {
    this.phase = ConnectionPhase.Connected;
    this.nextAttemptAt = undefined;
    this.#settle();
  }

  retrying(error: string, nextAttemptInMs: number): void {
    this.phase = ConnectionPhase.Retrying;
    this.lastError = error;
    this.nextAttemptAt = new Date(Date.now() + nextAttemptInMs);
    this.#settle();
  }

  failed(error: string): void {
    this.phase = ConnectionPhase.Failed;
    this.lastError = error;
    this.nextAttemptAt = undefined;
    this.#settle();
  }

  /**
   * Resolves once the first attempt ended (connected, retrying or failed), or after `timeoutMs`
   * with the phase as it is then.
   */
  settled(timeoutMs: number): Promise<ConnectionPhase> {
    if (this.phase !== ConnectionPhase.Connecting) return Promise.resolve(this.phase);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(this.phase);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  #settle(): void {
    for (const done of [...this.#waiters]) done();
  }
}
