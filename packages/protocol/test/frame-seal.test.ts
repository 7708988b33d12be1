// Sealed frames after the join (frame-seal.ts, linkKeys in link-auth.ts): each sealed message opens
// only once, in order, intact, under the key of its connection and direction.
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
  SEAL_BATCH_BYTES,
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
const AUTH_FAILED = /link protocol: sealed message \d+ failed authentication/;
/** Bytes a sealed message adds to one frame: its length and the tag. */
const OVERHEAD = 4 + SEAL_TAG_BYTES;

test('messages sealed in order open in order, each to the same frames; the sealed bytes hide them', () => {
  const { core, worker } = ends();
  const sealer = new FrameSealer(core.send);
  const opener = new FrameOpener(worker.receive);
  for (const frame of frames) {
    const sealed = sealer.seal([frame]);
    assert.equal(sealed.length, frame.length + OVERHEAD);
    assert.equal(sealed.includes(frame), false, 'the frame shows through');
    assert.deepEqual(opener.open(sealed), [frame]);
  }
  // Several frames in one message (one event-loop turn's) come out as they went in.
  const batch = sealer.seal(frames);
  assert.equal(
    batch.length,
    frames.reduce((n, f) => n + 4 + f.length, SEAL_TAG_BYTES),
  );
  assert.deepEqual(opener.open(batch), frames);
  assert.equal(opener.count, 4);
  // The same bytes sealed twice differ: each message has its own IV.
  assert.notDeepEqual(sealer.seal([frames[0]!]), sealer.seal([frames[0]!]));
  assert.throws(() => sealer.seal([]), /at least one frame/);
});

test('a message with any one byte altered, in its body or its tag, does not open', () => {
  const { core, worker } = ends();
  const sealed = new FrameSealer(core.send).seal(frames);
  for (let i = 0; i < sealed.length; i++) {
    const altered = Buffer.from(sealed);
    altered[i]! ^= 0x01;
    assert.throws(() => new FrameOpener(worker.receive).open(altered), AUTH_FAILED, `byte ${i}`);
  }
});

test('once a message failed, every later one fails too, even the genuine next one', () => {
  const { core, worker } = ends();
  const sealer = new FrameSealer(core.send);
  const opener = new FrameOpener(worker.receive);
  const first = sealer.seal([frames[0]!]);
  first[0]! ^= 0x80;
  assert.throws(() => opener.open(first), AUTH_FAILED);
  assert.throws(() => opener.open(sealer.seal([frames[1]!])), LinkProtocolError);
});

test('a replayed message does not open', () => {
  const { core, worker } = ends();
  const sealed = new FrameSealer(core.send).seal([frames[0]!]);
  const opener = new FrameOpener(worker.receive);
  assert.deepEqual(opener.open(sealed), [frames[0]]);
  assert.throws(() => opener.open(sealed), /sealed message 1 failed authentication/);
});

test('messages reordered, or one of them dropped, do not open', () => {
  const { core, worker } = ends();
  const sealer = new FrameSealer(core.send);
  const [a, b] = [sealer.seal([frames[0]!]), sealer.seal([frames[1]!])];
  assert.throws(() => new FrameOpener(worker.receive).open(b), /sealed message 0 failed authentication/);
  const opener = new FrameOpener(worker.receive);
  assert.deepEqual(opener.open(a), [frames[0]]);
  assert.deepEqual(opener.open(b), [frames[1]]);
});

test('a message opens only under its connection and direction: another secret, nonce, name or direction fails', () => {
  const { core, worker } = ends();
  assert.deepEqual(core.send, worker.receive);
  assert.deepEqual(core.receive, worker.send);
  assert.notDeepEqual(core.send, core.receive);
  const sealed = () => new FrameSealer(core.send).seal([frames[0]!]);
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

test('a message shorter than a length and a tag, or with its tag cut, does not open', () => {
  const { core, worker } = ends();
  const sealed = new FrameSealer(core.send).seal([frames[0]!]);
  assert.throws(
    () => new FrameOpener(worker.receive).open(sealed.subarray(0, OVERHEAD - 1)),
    /sealed message 0 of 19 bytes is shorter than a length and a tag/,
  );
  assert.throws(() => new FrameOpener(worker.receive).open(sealed.subarray(0, -1)), AUTH_FAILED);
  // An empty frame still has its length and the tag.
  const empty = new FrameSealer(core.send).seal([new Uint8Array(0)]);
  assert.equal(empty.length, OVERHEAD);
  assert.deepEqual(new FrameOpener(worker.receive).open(empty), [Buffer.alloc(0)]);
});

test('a sealed message over the frame limit is refused by its size, before it is decrypted', () => {
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

test('websocket: once sealed, a channel seals the frames of a turn together and refuses plain ones', async () => {
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
  assert.deepEqual(coreSocket.sent, [encodeFrame(ping)], 'plain before the seal, at once');
  coreEnd.seal(core);
  workerEnd.seal(worker);
  coreEnd.send({ type: 'ping', at: 2 });
  coreEnd.send({ type: 'ping', at: 3 });
  assert.equal(coreSocket.sent.length, 1, 'sealed frames wait for the end of the turn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(coreSocket.sent.length, 2, 'the two frames of the turn in one sealed message');
  // A frame over the batch size leaves at once, after what waited.
  coreEnd.send({ type: 'ping', at: 4 });
  const code = new Uint8Array(SEAL_BATCH_BYTES + 1);
  coreEnd.send({ type: 'store', id: 5, module: 'm', name: 'f', hash: 'h', code });
  assert.equal(coreSocket.sent.length, 4);
  for (const sealed of coreSocket.sent.slice(1)) workerSocket.emit('message', sealed, true);
  assert.deepEqual(
    messages.map((m) => (m.type === 'ping' ? m.at : m.type)),
    [2, 3, 4, 'store'],
  );
  workerSocket.emit('message', encodeFrame({ type: 'ping', at: 6 }), true);
  assert.equal(messages.length, 4);
  assert.match(invalid[0] ?? '', AUTH_FAILED);
  assert.throws(() => coreEnd.seal(core), /sealed already/);
});
