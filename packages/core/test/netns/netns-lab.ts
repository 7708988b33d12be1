/**
 * A small private network of "hosts" on this machine: one Linux network namespace per host, each
 * with a veth into a bridge that lives in its own namespace. Nothing is added to the root
 * namespace, so the 10.77.0.0/24 addresses used inside can clash with nothing and no packet can
 * leave the machine. Needs root and iproute2.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `ip` with a time bound; rejects with its stderr. */
async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || (error as Error).message}`);
  }
}

/** Why network-namespace tests cannot run here, or undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs as root: .ci/run)';
  try {
    await ip('netns', 'list');
  } catch (error) {
    return `\`ip netns\` is unavailable (install iproute2): ${(error as Error).message}`;
  }
  const probe = `flprobe${process.pid}`;
  try {
    await ip('netns', 'add', probe);
  } catch (error) {
    return `cannot create a network namespace: ${(error as Error).message}`;
  } finally {
    await ip('netns', 'del', probe).catch(() => {});
  }
  return undefined;
}

/** Removes namespaces left by earlier runs whose process is gone (a run killed before cleanup). */
async function removeStale(): Promise<void> {
  const list = await ip('netns', 'list').catch(() => '');
  for (const line of list.split('\n')) {
    const match = /^fl(\d+)-\S+/.exec(line.trim());
    if (match === null) continue;
    let alive = true;
    try {
      process.kill(Number(match[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) await ip('netns', 'del', match[0]).catch(() => {});
  }
}

export class NetnsLab {
  readonly #prefix = `fl${process.pid}-`;
  readonly #hosts: string[];
  readonly #created: string[] = [];
  readonly #children = new Set<ChildProcess>();

  private constructor(hosts: string[]) {
    this.#hosts = hosts;
  }

  /** Creates the bridge and one namespace per host (10.77.0.1, .2, … in the order given). */
  static async create(hosts: string[]): Promise<NetnsLab> {
    await removeStale();
    const lab = new NetnsLab(hosts);
    try {
      await lab.#build();
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  async #build(): Promise<void> {
    const bridge = this.#ns('bridge');
    await ip('netns', 'add', bridge);
    this.#created.push(bridge);
    await ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge');
    // No IGMP querier on this network: without snooping the bridge floods multicast to every port.
    await ip('-n', bridge, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    await ip('-n', bridge, 'link', 'set', 'br0', 'up');
    for (const [index, host] of this.#hosts.entries()) {
      const ns = this.#ns(host);
      await ip('netns', 'add', ns);
      this.#created.push(ns);
      const port = `v${index}`;
      await ip('link', 'add', port, 'netns', bridge, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip('-n', bridge, 'link', 'set', port, 'master', 'br0', 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'addr', 'add', `${this.address(host)}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'multicast', 'on', 'up');
      // No default route in these hosts: multicast needs its own.
      await ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
    }
  }

  #ns(host: string): string {
    return `${this.#prefix}${host}`;
  }

  /** The host's address on the bridge. */
  address(host: string): string {
    const index = this.#hosts.indexOf(host);
    if (index === -1) throw new Error(`no host ${host} in this lab`);
    return `10.77.0.${index + 1}`;
  }

  /** Starts `command` inside the host's namespace; it is killed by `destroy()` if still running. */
  spawn(host: string, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.#ns(host), command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Runs `command` in the host's namespace to completion (at most `timeoutMs`), with `input` on stdin. */
  exec(
    host: string,
    command: string,
    args: string[],
    options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(host, command, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? 15_000,
        ...(options.env === undefined ? {} : { env: options.env }),
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin?.end(options.input ?? '');
    });
  }

  /** Kills what is still running (SIGTERM, then SIGKILL after `graceMs`) and deletes every namespace. */
  async destroy(graceMs = 3000): Promise<void> {
    const children = [...this.#children];
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    // Deleting a namespace destroys its end of each veth, and so the pair; the bridge goes with its namespace.
    for (const ns of this.#created.reverse()) await ip('netns', 'del', ns).catch(() => {});
    this.#created.length = 0;
  }
}
