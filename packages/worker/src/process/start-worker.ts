import { DEFAULT_TAG, makePrivateDir } from '@funless/protocol';
import type { LinkDialer } from '@funless/protocol';

import { WorkerAgent } from '../agent/index.js';
import type { AgentLogger, WorkerAgentOptions } from '../agent/index.js';
import { defaultWorkerName } from '../agent/worker-name.js';
import { followDiscovery } from '../discovery/index.js';
import type { Discovery } from '../discovery/index.js';
import { Runtime } from '../runtime/index.js';
import type { RuntimeOptions } from '../runtime/index.js';

/** Settings of {@link startWorker}. */
export interface StartWorkerOptions {
  /** The Worker's data directory: code cache (`code/`) and the stable part of its default name. */
  dataDir: string;
  /** The cluster secret shared with the Cores (at least 16 characters). */
  secret: string;
  /** @default the host name plus a suffix kept in `<dataDir>/worker-id` */
  name?: string;
  /** @default 'default' */
  tag?: string;
  /**
   * Cores to connect to at once: URLs (`ws://host:port`, `http://host:port`) or dialers (a Core
   * in this process, `CoreCluster.connectInProcess`). @default []
   */
  cores?: (string | LinkDialer)[];
  /** Discovery to follow: its Cores are added and removed as they come and go. Started here. */
  discovery?: Discovery;
  /** Runtime settings beyond the data directory. */
  runtime?: Omit<RuntimeOptions, 'dataDir'>;
  /** Memory offered to functions, in MiB. @default 75% of the machine's memory */
  memoryMiB?: number;
  logger?: AgentLogger;
  /** Reconnection backoff bounds, in ms. @default 200 and 10_000 */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** On `close()`, how long running invocations may finish, in ms. @default 10_000 */
  drainTimeoutMs?: number;
}

/** A running Worker. */
export interface WorkerHandle {
  readonly name: string;
  readonly agent: WorkerAgent;
  readonly runtime: Runtime;
  /** Stops taking invocations, lets running ones finish (bounded), closes links, discovery and threads. */
  close(): Promise<void>;
}

/** Starts a Worker in this process: its runtime, its link agent, and discovery if given. */
export async function startWorker(options: StartWorkerOptions): Promise<WorkerHandle> {
  // Owner only, an existing directory too: it holds the cluster secret and the users' code.
  await makePrivateDir(options.dataDir);
  const name = options.name ?? (await defaultWorkerName(options.dataDir));
  const runtime = await Runtime.create({ ...options.runtime, dataDir: options.dataDir });
  let agent: WorkerAgent;
  try {
    const agentOptions: WorkerAgentOptions = {
      name,
      tag: options.tag ?? DEFAULT_TAG,
      secret: options.secret,
      runtime,
      threads: runtime.options.threads,
    };
    if (options.memoryMiB !== undefined) agentOptions.memoryMiB = options.memoryMiB;
    if (options.logger !== undefined) agentOptions.logger = options.logger;
    if (options.reconnectInitialDelayMs !== undefined)
      agentOptions.reconnectInitialDelayMs = options.reconnectInitialDelayMs;
    if (options.reconnectMaxDelayMs !== undefined)
      agentOptions.reconnectMaxDelayMs = options.reconnectMaxDelayMs;
    agent = new WorkerAgent(agentOptions);
  } catch (error) {
    await runtime.close();
    throw error;
  }
  for (const url of options.cores ?? []) agent.addCore(url);
  const discovery = options.discovery;
  let unfollow: (() => void) | undefined;
  if (discovery) {
    unfollow = followDiscovery(discovery, agent);
    try {
      await discovery.start();
    } catch (error) {
      unfollow();
      await agent.close();
      await runtime.close();
      throw error;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    name,
    agent,
    runtime,
    close() {
      closing ??= (async () => {
        unfollow?.();
        await discovery?.close();
        await agent.drain(options.drainTimeoutMs ?? 10_000);
        await agent.close();
        await runtime.close();
      })();
      return closing;
    },
  };
}
