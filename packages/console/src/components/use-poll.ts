import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError } from '../api/client.js';

export interface Polled<T> {
  value: T | undefined;
  error: ApiError | undefined;
  /** Asks again now (after a change the page made). */
  refresh: () => void;
}

/**
 * Calls `load` at once and then every `intervalMs` while the tab is visible, keeping the last value
 * and the last error (an error does not clear the value: the page shows both). A call still running
 * when the next is due is not doubled. `deps` restart it (new filters).
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[] = []): Polled<T> {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const running = useRef(false);
  useEffect(() => {
    let live = true;
    const run = async (): Promise<void> => {
      if (running.current || document.visibilityState === 'hidden') return;
      running.current = true;
      try {
        const next = await load();
        if (live) {
          setValue(next);
          setError(undefined);
        }
      } catch (e) {
        if (live) setError(e instanceof ApiError ? e : new ApiError(0, (e as Error).message, undefined));
      } finally {
        running.current = false;
      }
    };
    void run();
    const timer = intervalMs > 0 ? setInterval(() => void run(), intervalMs) : undefined;
    return () => {
      live = false;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [...deps, tick]);
  return { value, error, refresh: () => setTick((t) => t + 1) };
}
