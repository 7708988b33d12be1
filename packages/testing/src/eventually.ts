import { setTimeout as sleep } from 'node:timers/promises';

/** How {@link eventually} waits. */
export interface EventuallyOptions {
  /** How long to keep trying before failing. @default 10_000 ms */
  timeoutMs?: number;
  /** The pause between two tries. @default 10 ms */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a truthy value and resolves with that value; fails after
 * `timeoutMs` with an error naming `what` was awaited (a function is called then, so it can add
 * logs gathered meanwhile). An error thrown by `check` fails at once: return a falsy value to wait.
 *
 * The one way tests wait for a state reached asynchronously. It proves that something happens;
 * to prove that something does not, count the events that would show it and assert the count.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string | (() => string),
  options: EventuallyOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for: ${typeof what === 'string' ? what : what()}`,
      );
    }
    await sleep(intervalMs);
  }
}
