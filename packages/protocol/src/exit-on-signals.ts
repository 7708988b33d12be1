/**
 * How every FunLess process (`fl core`, `fl worker`, `fl up`) stops: on SIGTERM or SIGINT it
 * closes what it runs, letting in-flight work finish, and exits (docs/configuration.md, Shutdown).
 */

/** Where `exitOnSignals` reports; a pino or Fastify logger fits. */
export interface ShutdownLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface ExitOnSignalsOptions {
  /** Closes what the process runs; the process exits 0 when it resolves, 1 when it rejects. */
  close: () => Promise<void>;
  logger: ShutdownLogger;
  /** What shuts down, for the log lines (`Core`, `Worker`, `platform`). */
  subject: string;
  /** Ends the process. @default process.exit */
  exit?: (code: number) => void;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Installs the SIGTERM and SIGINT handlers: the first signal closes and exits; the handlers are
 * then removed, so a second signal ends the process at once. Install them before printing the
 * line that says the process is ready: whoever waits for that line may signal straight away, and
 * a signal with no handler kills the process without closing. Returns a function that removes the
 * handlers (tests).
 */
export function exitOnSignals(options: ExitOnSignalsOptions): () => void {
  const { close, logger, subject } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const remove = (): void => {
    for (const signal of SIGNALS) process.removeListener(signal, stop);
  };
  function stop(signal: NodeJS.Signals): void {
    remove();
    logger.info({ signal }, `${subject} shutting down`);
    close().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, `${subject} shutdown failed`);
        exit(1);
      },
    );
  }
  for (const signal of SIGNALS) process.on(signal, stop);
  return remove;
}
