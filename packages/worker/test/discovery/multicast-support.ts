import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { once } from 'node:events';

import type { Discovery } from '../../src/discovery/index.js';

/**
 * Sends datagrams to a multicast group over loopback only: nothing leaves the machine. Their source
 * is `address` (any 127.x.y.z can be bound on Linux without setup).
 */
export async function loopbackSender(address = '127.0.0.1'): Promise<{
  send(packet: Uint8Array, group: string, port: number): Promise<void>;
  close(): Promise<void>;
}> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  socket.setMulticastInterface('127.0.0.1');
  socket.setMulticastLoopback(true);
  socket.setMulticastTTL(1);
  return {
    send: (packet, group, port) =>
      new Promise((resolve, reject) =>
        socket.send(packet, port, group, (error) => (error ? reject(error) : resolve())),
      ),
    close: () => new Promise((resolve) => socket.close(resolve)),
  };
}

/** The next `event` of `discovery`, or a rejection after `timeoutMs`. */
export async function nextEvent(
  discovery: Discovery,
  event: 'found' | 'lost',
  timeoutMs = 3000,
): Promise<string> {
  const [url] = (await once(discovery as unknown as NodeJS.EventEmitter, event, {
    signal: AbortSignal.timeout(timeoutMs),
  })) as [string];
  return url;
}
