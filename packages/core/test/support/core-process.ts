import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** `runCore(process.env)` in a process of its own, with `env` over this one's (no inherited FL_ variables). */
export function spawnRunCore(env: Record<string, string>): ChildProcess {
  const entry = new URL('../../src/index.js', import.meta.url).href;
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FL_')));
  return spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { runCore } from ${JSON.stringify(entry)}; await runCore(process.env);`,
    ],
    { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** A Core running in its own process. */
export interface CoreProcess {
  url: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  out(): string;
  /** Resolves with its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `runCore` in its own process; resolves once it printed its URL and its tokens line, rejects
 * with what it wrote when it exits first or prints nothing within `timeoutMs`.
 */
export async function coreProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<CoreProcess> {
  const child = spawnRunCore({ FL_PORT: '0', FL_LOG_LEVEL: 'warn', ...env });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL printed within ${timeoutMs} ms: ${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(out);
      if (match?.[1] && out.includes('Tokens')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the Core exited (${String(code)}) before it listened: ${out}`));
    });
  });
  return {
    url,
    child,
    out: () => out,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A TCP port free now, for a Core that must come back on the same one (its Workers dial it). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
