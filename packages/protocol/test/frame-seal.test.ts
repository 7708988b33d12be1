// Sealed frames after the join (frame-seal.ts, linkKeys in link-auth.ts): each frame opens only
// once, in order, intact, under the key of its connection and direction.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';

import {
  decodeCoreFrame,
  encodeFrame,
  FrameOpener,
  FrameSealer,
  LINK_MAX_SEALED_FRAME_BYTES,
  linkKeys,
  LinkProtocolError,
  SEAL_TAG_BYTES,
  WebSocketChannel,
} from '../src/index.js';
import type { CoreMessage, LinkKeys, WorkerMessage } from '../src/index.js';

const SECRET = 'frame-seal-test-secret-0123';
const CORE_NONCE = 'c'.repeat(64);
const WORKER_NONCE = 'w'.repeat(64);

/** The two ends' keys of one connection. */
function ends(secret = SECRET, coreNonce = CORE_NONCE, workerNonce = WORKER_NONCE, name = 'w1') {
  return {
    core: linkKeys(secret, coreNonce, workerNonce, name, 'core'),
    worker: linkKeys(secret, coreNonce, workerNonce, name, 'worker'),
  };
}

const frames = ['card-4111', 'second', 'third'].map((text) => Buffer.from(text));
const AUTH_FAILED = /link protocol: sealed frame \d+ failed authentication/;

test('frames sealed in order open in order, each to the same bytes; the sealed bytes hide them', () => {
  const { core, worker } = ends();
  const sealer = new FrameSealer(core.send);
  const opener = new FrameOpener(worker.receive);
  for (const frame of frames) {
    const sealed = sealer.seal(frame);
    assert.equal(sealed.length, frame.length + SEAL_TAG_BYTES);
    assert.equal(sealed.includes(frame), false, 'the frame shows through');
    assert.deepEqual(opener.open(sealed), frame);
  }
  assert.equal(opener.count, 3);
  // The same bytes sealed twice differ: each frame has its own IV.
  assert.notDeepEqual(sealer.seal(frames[0]!), sealer.seal(frames[0]!));
});

test('a frame with any one byte altered, in its body or its tag, does not open', () => {
  const { core, worker } = ends();
  const sealed = new FrameSealer(core.send).seal(frames[0]!);
  for (let i = 0; i < sealed.length; i++) {
    const altered = Buffer.from(sealed);
    altered[i]! ^= 0x01;
    assert.throws(() => new FrameOpener(worker.receive).open(altered), AUTH_FAILED, `byte ${i}`);
  }
});

test('once a frame failed, every later one fails too, even the genuine next one', () => {
  const { core, worker } = ends();
  const sealer = new FrameSealer(core.send);
  const opener = new FrameOpener(worker.receive);
  const first = sealer.seal(frames[0]!);
  first[0]! ^= 0x80;
  assert.throws(() => opener.open(first), AUTH_FAILED);
  assert.throws(() => opener.open(sealer.seal(frames[1]!)), LinkProtocolError);
});

test('a replayed frame does not open', () => {
  const { core, worker } = ends();
  const sealed = new FrameSealer(core.send).seal(frames[0]!);
  const opener = new FrameOpener(worker.receive);
  assert.deepEqual(opener.open(sealed), frames[0]);
  assert.throws(() => opener.open(sealed), /sealed frame 1 failed authentication/);
});

test('frames reordered, or one of them dropped, do not open', () => {
  const { core, worker } = ends();
  const sealer = new FrameSealer(core.send);
  const [a, b] = [sealer.seal(frames[0]!), sealer.seal(frames[1]!)];
  assert.throws(() => new FrameOpener(worker.receive).open(b), /sealed frame 0 failed authentication/);
  const opener = new FrameOpener(worker.receive);
  assert.deepEqual(opener.open(a), frames[0]);
  assert.deepEqual(opener.open(b), frames[1]);
});

test('a frame opens only under its connection and direction: another secret, nonce, name or direction fails', () => {
  const { core, worker } = ends();
  assert.deepEqual(core.send, worker.receive);
  assert.deepEqual(core.receive, worker.send);
  assert.notDeepEqual(core.send, core.receive);
  const sealed = () => new FrameSealer(core.send).seal(frames[0]!);
  const others: [string, LinkKeys][] = [
    ['another secret', ends('another-secret-0123456789').worker],
    ['another Core nonce', ends(SECRET, 'd'.repeat(64)).worker],
    ['another Worker nonce', ends(SECRET, CORE_NONCE, 'x'.repeat(64)).worker],
    ['another Worker name', ends(SECRET, CORE_NONCE, WORKER_NONCE, 'w2').worker],
    // What the Core sent, fed back to it (a relay reflecting its frames).
    ['the other direction', core],
  ];
  for (const [what, keys] of others) {
    assert.throws(() => new FrameOpener(keys.receive).open(sealed()), AUTH_FAILED, what);
  }
});

test('a frame shorter than its tag, or with its tag cut, does not open', () => {
  const { core, worker } = ends();
  const sealed = new FrameSealer(core.send).seal(frames[0]!);
  assert.throws(
    () => new FrameOpener(worker.receive).open(sealed.subarray(0, SEAL_TAG_BYTES - 1)),
    /sealed frame 0 of 15 bytes is shorter than its tag/,
  );
  assert.throws(() => new FrameOpener(worker.receive).open(sealed.subarray(0, -1)), AUTH_FAILED);
  // An empty frame still carries its tag.
  const empty = new FrameSealer(core.send).seal(new Uint8Array(0));
  assert.equal(empty.length, SEAL_TAG_BYTES);
  assert.equal(new FrameOpener(worker.receive).open(empty).length, 0);
});

test('a sealed frame over the frame limit is refused by its size, before it is decrypted', () => {
  const { worker } = ends();
  assert.throws(
    () => new FrameOpener(worker.receive).open(new Uint8Array(LINK_MAX_SEALED_FRAME_BYTES + 1)),
    new RegExp(`exceeds the ${LINK_MAX_SEALED_FRAME_BYTES}-byte limit`),
  );
});

test('keys of the wrong size are refused', () => {
  assert.throws(() => new FrameSealer(new Uint8Array(16)), /a frame key is 32 bytes, got 16/);
  assert.throws(() => new FrameOpener(new Uint8Array(33)), /a frame key is 32 bytes, got 33/);
});

/** The part of a `ws` socket a channel uses, recording what it sends. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  sent: Uint8Array[] = [];
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(): void {}
  terminate(): void {}
}

test('websocket: once sealed, a channel sends sealed frames and refuses plain ones as invalid', () => {
  const { core, worker } = ends();
  const coreSocket = new FakeSocket();
  const coreEnd = new WebSocketChannel<CoreMessage, WorkerMessage>(coreSocket, () => assert.fail(), 'w');
  const workerSocket = new FakeSocket();
  const workerEnd = new WebSocketChannel<WorkerMessage, CoreMessage>(workerSocket, decodeCoreFrame, 'c');
  const messages: CoreMessage[] = [];
  const invalid: string[] = [];
  workerEnd.listen({ message: (m) => messages.push(m), invalid: (e) => invalid.push(e.message), close() {} });

  const ping: CoreMessage = { type: 'ping', at: 1 };
  coreEnd.send(ping);
  assert.deepEqual(coreSocket.sent[0], encodeFrame(ping), 'plain before the seal');
  coreEnd.seal(core);
  workerEnd.seal(worker);
  coreEnd.send({ type: 'ping', at: 2 });
  coreEnd.send({ type: 'ping', at: 3 });
  assert.notDeepEqual(coreSocket.sent[1], encodeFrame({ type: 'ping', at: 2 }));
  workerSocket.emit('message', coreSocket.sent[1], true);
  workerSocket.emit('message', coreSocket.sent[2], true);
  assert.deepEqual(messages, [
    { type: 'ping', at: 2 },
    { type: 'ping', at: 3 },
  ]);
  workerSocket.emit('message', encodeFrame({ type: 'ping', at: 4 }), true);
  assert.equal(messages.length, 2);
  assert.match(invalid[0] ?? '', AUTH_FAILED);
  assert.throws(() => coreEnd.seal(core), /sealed already/);
});
