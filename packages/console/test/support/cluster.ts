import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { eventually, stopProcess } from '@funless/testing';

/** The built `fl` entry, as users run it. */
const FL = fileURLToPath(new URL('../../../../cli/dist/src/bin.js', import.meta.url));

/** A Core process and a Worker process joined over the network link, each with its own data directory. */
export interface TestCluster {
  url: string;
  adminToken: string;
  guestToken: string;
  workerName: string;
  /** What the processes printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv, sink: (text: string) => void): ChildProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('FL_') && k !== 'DATABASE_URL'),
  );
  const child = spawn(process.execPath, [FL, ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', sink);
  child.stderr.setEncoding('utf8').on('data', sink);
  return child;
}

/** Starts `fl core` on a free port and `fl worker` pointed at it; resolves once the Worker joined. */
export async function startCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'fl-console-'));
  const secret = randomBytes(24).toString('base64url');
  let output = '';
  const sink = (text: string): void => {
    output += text;
  };
  const workerName = `w_${randomBytes(3).toString('hex')}`;
  const core = start(
    ['core'],
    {
      FL_PORT: '0',
      FL_HOST: '127.0.0.1',
      FL_DATA_DIR: join(dir, 'core'),
      FL_CLUSTER_SECRET: secret,
      FL_DISCOVERY: 'off',
      FL_LOG_FORMAT: 'json',
    },
    sink,
  );
  const processes = [core];
  const stop = async (): Promise<void> => {
    for (const child of processes.reverse()) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const url = await eventually(
      () => {
        if (core.exitCode !== null) throw new Error(`fl core exited with ${core.exitCode}:\n${output}`);
        return /listening on (http:\/\/[^\s"]+)/.exec(output)?.[1];
      },
      () => `fl core to listen; its output:\n${output}`,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    processes.push(
      start(
        ['worker'],
        {
          FL_CORE_URL: url,
          FL_CLUSTER_SECRET: secret,
          FL_DATA_DIR: join(dir, 'worker'),
          FL_WORKER_NAME: workerName,
          FL_DISCOVERY: 'off',
          FL_LOG_FORMAT: 'json',
        },
        sink,
      ),
    );
    const tokens = await readFile(join(dir, 'core', 'tokens'), 'utf8');
    const adminToken = /^Admin=(\S+)$/m.exec(tokens)?.[1];
    const guestToken = /^Guest=(\S+)$/m.exec(tokens)?.[1];
    if (!adminToken || !guestToken) throw new Error(`no tokens in the tokens file:\n${tokens}`);
    await eventually(
      async () => {
        const answer = await fetch(`${url}/v1/workers`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        const body = (await answer.json()) as { data: { name: string }[] };
        return body.data.some((w) => w.name === workerName);
      },
      () => `Worker ${workerName} to join; output:\n${output}`,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    return { url, adminToken, guestToken, workerName, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs `fl <args>` against the cluster with its admin and guest tokens; resolves with its stdout (exit 0), or rejects. */
export function runFl(args: string[], cluster: TestCluster): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const child = start(
      args,
      {
        FL_API_HOST: cluster.url,
        FL_API_TOKEN: cluster.guestToken,
        FL_ADMIN_TOKEN: cluster.adminToken,
        HOME: join(tmpdir(), `fl-ui-home-${process.pid}`),
      },
      () => {},
    );
    child.stdout!.on('data', (c: string) => (stdout += c));
    child.stderr!.on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`fl ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}
