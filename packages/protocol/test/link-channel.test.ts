// The two transports under the link, each on its own: what a channel promises its owner (order,
// no synchronous delivery, close after the data, bounds, bad frames as events). The link's
// behaviour over both is packages/cli/test/link-conformance.test.ts.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';

import {
  decodeWorkerFrame,
  encodeFrame,
  inProcessChannelPair,
  LINK_LIMITS,
  LinkCloseCode,
  LinkProtocolError,
  WebSocketChannel,
} from '../src/index.js';
import type { CoreMessage, LinkChannelEvents, LinkMessage, WorkerMessage } from '../src/index.js';

/** Records a channel's events; `closed` resolves with the close code. */
function recorder<In extends LinkMessage>() {
  const messages: In[] = [];
  const invalid: LinkProtocolError[] = [];
  const order: string[] = [];
  let resolveClosed!: (close: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  const events: LinkChannelEvents<In> = {
    message: (m) => {
      messages.push(m);
      order.push(m.type);
    },
    invalid: (e) => invalid.push(e),
    close: (code, reason) => {
      order.push('close');
      resolveClosed({ code, reason });
    },
  };
  return { events, messages, invalid, order, closed };
}

test('in process: messages arrive in order, never during send, as the very objects sent', async () => {
  const { core, worker } = inProcessChannelPair();
  const atWorker = recorder<CoreMessage>();
  worker.listen(atWorker.events);
  const code = Uint8Array.of(0, 97, 115, 109);
  const store: CoreMessage = { type: 'store', id: 1, module: 'm', name: 'f', hash: 'h', code };
  core.send(store);
  core.send({ type: 'ping', at: 1 });
  assert.equal(atWorker.messages.length, 0, 'delivered synchronously');
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(atWorker.order, ['store', 'ping']);
  assert.equal(atWorker.messages[0], store);
  assert.equal((atWorker.messages[0] as { code: Uint8Array }).code, code);
});

test('in process: what arrives before listen is delivered by it', async () => {
  const { core, worker } = inProcessChannelPair();
  core.send({ type: 'ping', at: 1 });
  await new Promise((resolve) => setImmediate(resolve));
  const atWorker = recorder<CoreMessage>();
  worker.listen(atWorker.events);
  assert.deepEqual(atWorker.order, ['ping']);
});

test('in process: a close reaches both ends after the messages sent before it; later sends are dropped', async () => {
  const { core, worker } = inProcessChannelPair();
  const atCore = recorder<WorkerMessage>();
  const atWorker = recorder<CoreMessage>();
  core.listen(atCore.events);
  worker.listen(atWorker.events);
  core.send({ type: 'ping', at: 1 });
  core.close(LinkCloseCode.Shutdown, 'Core shutting down');
  assert.equal(core.open, false);
  assert.equal(worker.open, false);
  worker.send({ type: 'pong', at: 1 });
  assert.deepEqual(await atWorker.closed, { code: LinkCloseCode.Shutdown, reason: 'Core shutting down' });
  assert.deepEqual(await atCore.closed, { code: LinkCloseCode.Shutdown, reason: 'Core shutting down' });
  assert.deepEqual(atWorker.order, ['ping', 'close']);
  assert.deepEqual(atCore.order, ['close']);
});

test('in process: code over the payload bound is refused at send, naming the bound', () => {
  const { core } = inProcessChannelPair();
  const code = new Uint8Array(LINK_LIMITS.maxPayloadBytes + 1);
  assert.throws(
    () => core.send({ type: 'store', id: 1, module: 'm', name: 'f', hash: 'h', code }),
    (error: unknown) =>
      error instanceof LinkProtocolError && /exceeds the 67108864-byte payload limit/.test(error.message),
  );
});

/** A stand-in for a `ws` socket: records what is sent, emits what the test says arrived. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  sent: Uint8Array[] = [];
  closedWith: number | undefined;
  terminated = false;
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

test('websocket: frames are decoded and checked; a bad or text frame is an invalid event, not a message', () => {
  const socket = new FakeSocket();
  const channel = new WebSocketChannel<CoreMessage, WorkerMessage>(socket, decodeWorkerFrame, 'peer');
  const atCore = recorder<WorkerMessage>();
  channel.listen(atCore.events);
  socket.emit('message', encodeFrame({ type: 'pong', at: 7 }), true);
  socket.emit('message', Buffer.from([1, 0, 0, 0, 2, 123, 125]), true);
  socket.emit('message', Buffer.from('{"type":"pong","at":1}'), false);
  socket.emit('message', encodeFrame({ type: 'ping', at: 1 }).subarray(0, 3), true);
  assert.deepEqual(atCore.messages, [{ type: 'pong', at: 7 }]);
  assert.deepEqual(
    atCore.invalid.map((e) => e.message),
    [
      'link protocol: a Worker does not send messages of type undefined',
      'link protocol: text frame',
      'link protocol: frame of 3 bytes is shorter than its 5-byte prefix',
    ],
  );
});

test('websocket: one store message sent to many sockets is encoded once; nothing is sent once closed', () => {
  const code = new Uint8Array(1024);
  const store: CoreMessage = { type: 'store', id: 1, module: 'm', name: 'f', hash: 'h', code };
  const sockets = [new FakeSocket(), new FakeSocket()];
  const channels = sockets.map(
    (s) => new WebSocketChannel<CoreMessage, WorkerMessage>(s, decodeWorkerFrame, 'peer'),
  );
  for (const c of channels) c.send(store);
  assert.equal(sockets[0]!.sent[0], sockets[1]!.sent[0], 'the same frame');
  channels[0]!.close(LinkCloseCode.Shutdown, 'bye');
  assert.equal(sockets[0]!.closedWith, LinkCloseCode.Shutdown);
  assert.equal(channels[0]!.open, false);
  channels[0]!.send({ type: 'ping', at: 1 });
  assert.equal(sockets[0]!.sent.length, 1);
  channels[1]!.terminate();
  assert.equal(sockets[1]!.terminated, true);
});
