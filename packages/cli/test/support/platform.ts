import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { eventually, stopProcess } from '@funless/testing';

/** The built `fl` entry, as `npm start` and users run it. */
export const BIN = fileURLToPath(new URL('../../src/bin.js', import.meta.url));

/** Variables of the outer environment that would leak configuration into a test. */
const SCRUBBED = ['FL_API_HOST', 'FL_API_TOKEN', 'FL_ADMIN_TOKEN', 'FL_DATA_DIR', 'FL_PORT', 'DATABASE_URL'];

export function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of SCRUBBED) delete env[key];
  return { ...env, ...extra };
}

export interface FlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fl <args>` as a real process; bounded so a hung command fails the test. */
export function fl(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<FlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** A platform process (`fl core` or `fl up`) started for a test. */
export interface PlatformProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `fl <command>` on a free port (FL_PORT=0) and resolves once it prints the URL it listens
 * on; rejects with its output if it exits or takes longer than `timeoutMs`.
 */
export function startPlatform(
  command: 'core' | 'up',
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<PlatformProcess> {
  const child = spawn(process.execPath, [BIN, command], {
    env: { ...options.env, FL_PORT: '0', FL_HOST: '127.0.0.1' },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = (): Promise<void> => stopProcess(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`fl ${command} did not start within ${options.timeoutMs ?? 30_000} ms:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: string): void => {
      output += chunk;
      const match = /(?:is up at|listening on) (http:\/\/[^\s"]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, output: () => output, stop });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fl ${command} exited with ${code} before listening:\n${output}`));
    });
  });
}

/** Resolves once `fl workers` (run with `env` in `cwd`) lists a Worker; else fails with the platform's output. */
export async function workerJoined(
  platform: PlatformProcess,
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<void> {
  await eventually(
    async () => {
      const workers = await fl(['workers', '--json'], { env: options.env, cwd: options.cwd });
      return workers.code === 0 && (JSON.parse(workers.stdout) as unknown[]).length > 0;
    },
    () => `the Worker of \`fl up\` to join; its output:\n${platform.output()}`,
    { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 200 },
  );
}
