import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The Worker's entry point (`packages/worker/dist/src/bin.js`), as `fl worker` runs it. */
export const WORKER_BIN = fileURLToPath(new URL('../../../../../worker/dist/src/bin.js', import.meta.url));

/** A Worker running as its own process, with its log lines collected. */
export interface WorkerProcess {
  readonly name: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first log line matching `pattern` (rejects after `timeoutMs`). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM (or `signal`) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns a Worker process with `env` over a clean environment (no inherited FL_ variables). */
export function spawnWorker(name: string, dataDir: string, env: Record<string, string>): WorkerProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FL_')));
  const child = spawn(process.execPath, [WORKER_BIN], {
    env: { ...base, FL_WORKER_NAME: name, FL_DATA_DIR: dataDir, FL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    dataDir,
    child,
    lines,
    waitForLog(pattern, timeoutMs = 10_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(`Worker ${name} logged nothing matching ${String(pattern)}:\n${lines.join('\n')}`),
          );
        }, timeoutMs);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
