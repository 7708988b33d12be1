import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  CLUSTER_SECRET_FILE,
  coreProof,
  decodeCoreFrame,
  decodeWorkerFrame,
  encodeFrame,
  BINARY_FIELDS,
  LINK_LIMITS,
  LinkProtocolError,
  linkNonce,
  loadClusterSecret,
  proofsMatch,
  workerProof,
} from '../src/index.js';
import type { InvokeMessage, MessageSchema, StoreMessage } from '../src/index.js';

function rawFrame(header: string, payload: Uint8Array = new Uint8Array()): Buffer {
  const h = Buffer.from(header);
  const out = Buffer.alloc(5 + h.length + payload.length);
  out[0] = 1;
  out.writeUInt32BE(h.length, 1);
  h.copy(out, 5);
  out.set(payload, 5 + h.length);
  return out;
}

test('a store message keeps every byte of its code, including bytes that are not UTF-8', () => {
  const code = new Uint8Array(256).map((_, i) => i);
  const message: StoreMessage = { type: 'store', id: 7, module: '_', name: 'f', hash: 'ab', code };
  const decoded = decodeCoreFrame(encodeFrame(message));
  assert.equal(decoded.type, 'store');
  assert.deepEqual(Buffer.from(decoded.code), Buffer.from(code));
  assert.equal(decoded.hash, 'ab');
});

test('input and result travel as their exact bytes: no JSON round trip rounds or re-encodes them', () => {
  // Beyond 2^53, deeper than JSON.stringify could go, and not even UTF-8: the link does not care.
  const input = Buffer.from('{"n":12345678901234567890, "s":"caf\u00e9"}');
  const message: InvokeMessage = {
    type: 'invoke',
    id: 1,
    module: 'm',
    name: 'f',
    hash: 'h',
    capacityMiB: 64,
    input,
    timeoutMs: 1000,
    chainDepth: 0,
  };
  const decoded = decodeCoreFrame(encodeFrame(message));
  assert.equal(decoded.type, 'invoke');
  assert.deepEqual(Buffer.from(decoded.input), input);
  assert.equal(decoded.capacityMiB, 64);
  for (const result of [
    Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    Buffer.from([0xff, 0xfe, 0x80]),
  ]) {
    const back = decodeWorkerFrame(encodeFrame({ type: 'result', id: 2, result, durationMs: 1.5 }));
    assert.ok(back.type === 'result');
    assert.deepEqual(Buffer.from(back.result), result);
    assert.equal(back.durationMs, 1.5);
  }
});

test('the field table is derived from the message types', () => {
  // Compile-time checks: each line fails to compile if the schema stops following the types.
  // @ts-expect-error a schema that leaves out a field of the message does not compile
  const missing: MessageSchema<'invoke'> = { id: 'int', module: 'string', name: 'string', hash: 'string' };
  // @ts-expect-error a kind that does not fit the field's type does not compile
  const wrong: MessageSchema<'ack'> = { id: 'string', error: 'error?' };
  // @ts-expect-error an optional field must have an optional kind
  const required: MessageSchema<'drop'> = { id: 'int', module: 'string', name: 'string', hash: 'string' };
  assert.ok(missing && wrong && required);
  assert.deepEqual(BINARY_FIELDS, { store: 'code', code_reply: 'code', invoke: 'input', result: 'result' });
});

test('a failed code_reply travels without a payload and keeps its error', () => {
  const frame = encodeFrame({
    type: 'code_reply',
    id: 3,
    ok: false,
    error: { code: 'not_found', message: 'gone' },
  });
  assert.deepEqual(decodeCoreFrame(frame), {
    type: 'code_reply',
    id: 3,
    ok: false,
    error: { code: 'not_found', message: 'gone' },
  });
});

test('each side refuses the message types only the other side sends', () => {
  const invoke = encodeFrame({ type: 'ping', at: 1 });
  assert.equal(decodeWorkerFrame(invoke).type, 'ping');
  const result = encodeFrame({ type: 'result', id: 1, result: Buffer.from('1'), durationMs: 1 });
  assert.throws(() => decodeCoreFrame(result), /a Core does not send messages of type "result"/);
  const store = encodeFrame({
    type: 'store',
    id: 1,
    module: 'm',
    name: 'f',
    hash: 'h',
    code: new Uint8Array(1),
  });
  assert.throws(() => decodeWorkerFrame(store), /a Worker does not send messages of type "store"/);
});

test('bad frames are refused with a message naming the fault', () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array([1, 0]), /shorter than its 5-byte prefix/],
    [rawFrame('{"type":"ping","at":1}').fill(9, 0, 1), /unknown frame format 9/],
    [
      (() => {
        const f = rawFrame('{"type":"ping","at":1}');
        f.writeUInt32BE(1000, 1);
        return f;
      })(),
      /runs past the end/,
    ],
    [
      (() => {
        const f = rawFrame('{}');
        f.writeUInt32BE(LINK_LIMITS.maxHeaderBytes + 1, 1);
        return f;
      })(),
      /exceeds/,
    ],
    [rawFrame('{"type":"ping",'), /not valid JSON/],
    [rawFrame('[1,2]'), /not a JSON object/],
    [rawFrame('{"type":"nope"}'), /type "nope"/],
    [rawFrame('{"type":"ping"}'), /ping\.at must be a finite number, got nothing/],
    [rawFrame('{"type":"ack","id":-1}'), /ack\.id must be a non-negative integer/],
    [rawFrame('{"type":"ack","id":1,"error":"x"}'), /ack\.error must be an error/],
    [rawFrame('{"type":"result","id":1}', Buffer.from('1')), /result\.durationMs must be a finite number/],
    [rawFrame('{"type":"ping","at":1}', new Uint8Array(3)), /carries no payload, got 3 bytes/],
  ];
  for (const [frame, pattern] of cases) {
    assert.throws(
      () => decodeWorkerFrame(frame),
      (error: unknown) => error instanceof LinkProtocolError && pattern.test(error.message),
      `expected ${String(pattern)}`,
    );
  }
});

test('a sync message carries its function list; a malformed list is refused naming the field', () => {
  const sync = {
    type: 'sync' as const,
    functions: [{ module: 'm', name: 'f', hash: 'a'.repeat(64) }],
    last: true,
  };
  assert.deepEqual(decodeCoreFrame(encodeFrame(sync)), sync);
  for (const functions of [
    'x',
    [{ module: 'm', name: 'f' }],
    [null],
    [{ module: 1, name: 'f', hash: 'h' }],
  ]) {
    assert.throws(
      () => decodeCoreFrame(rawFrame(JSON.stringify({ type: 'sync', functions, last: true }))),
      /sync\.functions must be a list of \{module, name, hash\}/,
    );
  }
  assert.throws(
    () => decodeCoreFrame(rawFrame('{"type":"sync","functions":[]}')),
    /sync\.last must be a boolean/,
  );
  // Only the Core sends it.
  assert.throws(() => decodeWorkerFrame(encodeFrame(sync)), /a Worker does not send messages of type "sync"/);
});

test("a result and an error carry the guest's lines and time; malformed lines are refused naming the field", () => {
  const logs = [
    { stream: 'console' as const, text: 'héllo' },
    { stream: 'stderr' as const, text: '' },
  ];
  const result = decodeWorkerFrame(
    encodeFrame({
      type: 'result',
      id: 1,
      result: Buffer.from('1'),
      durationMs: 2,
      logs,
      logsTruncated: true,
    }),
  );
  assert.ok(result.type === 'result');
  assert.deepEqual(result.logs, logs);
  assert.equal(result.logsTruncated, true);
  const failure = {
    type: 'invoke_error' as const,
    id: 2,
    error: { code: 'trap' as const, message: 'unreachable' },
    durationMs: 3.5,
    logs,
  };
  assert.deepEqual(decodeWorkerFrame(encodeFrame(failure)), failure);
  // Without them: as before (nothing printed, the guest did not run).
  const bare = decodeWorkerFrame(encodeFrame({ type: 'invoke_error', id: 3, error: failure.error }));
  assert.ok(bare.type === 'invoke_error');
  assert.equal(bare.logs, undefined);
  assert.equal(bare.durationMs, undefined);
  for (const bad of ['x', [{ stream: 'syslog', text: 'a' }], [{ stream: 'stdout' }], [null]]) {
    assert.throws(
      () =>
        decodeWorkerFrame(
          rawFrame(JSON.stringify({ type: 'invoke_error', id: 4, error: failure.error, logs: bad })),
        ),
      /invoke_error\.logs must be a list of \{stream \(console, stdout, stderr\), text\}/,
    );
  }
  assert.throws(
    () =>
      decodeWorkerFrame(
        rawFrame(JSON.stringify({ type: 'invoke_error', id: 4, error: failure.error, durationMs: 'x' })),
      ),
    /invoke_error\.durationMs must be a finite number/,
  );
});

test('encoding refuses a message over the header or the payload limit', () => {
  const message = 'x'.repeat(LINK_LIMITS.maxHeaderBytes);
  assert.throws(
    () => encodeFrame({ type: 'invoke_error', id: 1, error: { code: 'guest_error', message } }),
    /invoke_error message of \d+ bytes exceeds the \d+-byte header limit/,
  );
  const result = new Uint8Array(LINK_LIMITS.maxPayloadBytes + 1);
  assert.throws(
    () => encodeFrame({ type: 'result', id: 1, result, durationMs: 1 }),
    /result\.result of \d+ bytes exceeds the \d+-byte payload limit/,
  );
});

test('proofs match only with the same secret, nonces and name, and differ by role', () => {
  const [c, w] = [linkNonce(), linkNonce()];
  const secret = 'a-cluster-secret-of-enough-length';
  const p = workerProof(secret, c, w, 'w1');
  assert.ok(proofsMatch(p, workerProof(secret, c, w, 'w1')));
  assert.ok(!proofsMatch(p, workerProof('another-secret-of-enough-length', c, w, 'w1')));
  assert.ok(!proofsMatch(p, workerProof(secret, linkNonce(), w, 'w1')));
  assert.ok(!proofsMatch(p, workerProof(secret, c, w, 'w2')));
  assert.ok(!proofsMatch(p, coreProof(secret, c, w, 'w1')));
  assert.ok(!proofsMatch(p, 'short'));
});

test('the cluster secret is generated once into the data dir with mode 0600 and then reused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fl-secret-'));
  try {
    await assert.rejects(
      loadClusterSecret({ dataDir: dir, create: false }),
      /no cluster secret: set FL_CLUSTER_SECRET/,
    );
    const secret = await loadClusterSecret({ dataDir: dir, create: true });
    assert.equal((await stat(join(dir, CLUSTER_SECRET_FILE))).mode & 0o777, 0o600);
    assert.equal(await loadClusterSecret({ dataDir: dir, create: false }), secret);
    assert.equal(await loadClusterSecret({ dataDir: dir, create: true }), secret);
    assert.equal(
      await loadClusterSecret({ secret: 'configured-secret-123', dataDir: dir, create: true }),
      'configured-secret-123',
    );
    await assert.rejects(
      loadClusterSecret({ secret: 'short', dataDir: dir, create: true }),
      /FL_CLUSTER_SECRET is 5 characters/,
    );
    await writeFile(join(dir, CLUSTER_SECRET_FILE), 'tiny\n');
    await assert.rejects(loadClusterSecret({ dataDir: dir, create: false }), /needs at least 16/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
