import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from '@funless/testing';

/** The brokers every engineer's tests share (started by .ci/run): use unique topics. */
export const SHARED_MQTT = { host: '127.0.0.1', port: 1883 } as const;
export const SHARED_NATS = 'nats://127.0.0.1:4222';

/** A TCP port free now on 127.0.0.1. */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A broker process of this test's own on a free port, so that a test may stop and start it
 * without disturbing the shared ones. `stop()` and `start()` keep its port and its data.
 */
export interface PrivateBroker {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

async function privateBroker(
  scheme: string,
  command: (port: number, dir: string) => Promise<{ file: string; args: string[] }>,
  givenPort?: number,
): Promise<PrivateBroker> {
  const port = givenPort ?? (await freeTcpPort());
  const dir = await mkdtemp(join(tmpdir(), `fl-${scheme}-`));
  const { file, args } = await command(port, dir);
  let child: ChildProcess | undefined;
  const broker: PrivateBroker = {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    async start() {
      child = spawn(file, args, { stdio: 'ignore' });
      await eventually(() => accepts(port), `${file} accepts connections on ${port}`);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
    async close() {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}

/** A Mosquitto of its own, with persistence (sessions survive its restarts). */
export function privateMosquitto(port?: number): Promise<PrivateBroker> {
  return privateBroker(
    'mqtt',
    async (port, dir) => {
      const config = join(dir, 'mosquitto.conf');
      await writeFile(
        config,
        `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\n`,
      );
      return { file: '/usr/sbin/mosquitto', args: ['-c', config] };
    },
    port,
  );
}

/** A NATS server of its own. */
export function privateNats(): Promise<PrivateBroker> {
  return privateBroker('nats', (port) =>
    Promise.resolve({ file: '/usr/sbin/nats-server', args: ['-a', '127.0.0.1', '-p', String(port)] }),
  );
}
