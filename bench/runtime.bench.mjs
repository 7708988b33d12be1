// Worker runtime benchmark (docs/runtime.md, "Performance"). Measures, in one run:
//  - baseline: a fresh WebAssembly.Instance per call, in-process, with JS WASI imports, of a
//    FunLess-ABI C module with ~1.1 MiB of initial memory (fixtures/c/realistic.c);
//  - the guest's own time: one reused instance, no reset (what no runtime can beat);
//  - warm invocation through the runtime (thread hop, limits, snapshot restore): µs/call,
//    overhead over the guest's own time, ratio to the baseline;
//  - cold start of a ~250 KB module: store (validate + compile) + first invoke;
//  - throughput with 1 and 2 threads, for the realistic function and a compute-bound one.
// Targets: warm overhead <= 60 µs, cold <= 20 ms, throughput scaling with threads.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { cFixture, wat } from '../packages/testing/dist/src/index.js';
import { codeHash, Runtime } from '../packages/worker/dist/src/index.js';
import { moduleVariant } from './support.mjs';

const code = await cFixture('realistic');
const input = { name: 'benchmark' };
const inputBytes = new TextEncoder().encode(JSON.stringify(input));
const module = new WebAssembly.Module(code);

function pagesOf(instance) {
  return instance.exports.memory.buffer.byteLength / 65536;
}

/** Minimal JS host: the fl_imps the module uses and the few WASI calls wasi-libc makes. */
function hostImports(ref) {
  const view = () => new Uint8Array(ref.memory.buffer);
  return {
    fl_imps: {
      __get_input_data: (ptr) => view().set(inputBytes, ptr),
      __insert_response: (ptr, len) => {
        ref.response = view().slice(ptr, ptr + len);
      },
    },
    wasi_snapshot_preview1: { fd_close: () => 8, fd_seek: () => 70, fd_write: () => 8 },
  };
}

function time(label, iterations, fn) {
  for (let i = 0; i < Math.min(200, iterations / 10); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  return us;
}

// Baseline: fresh instance per call.
const baselineUs = time('baseline', 2000, () => {
  const ref = {};
  const instance = new WebAssembly.Instance(module, hostImports(ref));
  ref.memory = instance.exports.memory;
  instance.exports._initialize();
  if (instance.exports.__invoke(inputBytes.length) !== 0) throw new Error('bad return');
});
const probe = new WebAssembly.Instance(module, hostImports({}));
const initialMiB = (pagesOf(probe) * 65536) / 1024 / 1024;

// Guest's own time: one instance reused with no reset at all.
const reusedRef = {};
const reused = new WebAssembly.Instance(module, hostImports(reusedRef));
reusedRef.memory = reused.exports.memory;
reused.exports._initialize();
const guestUs = time('guest', 20000, () => reused.exports.__invoke(inputBytes.length));

// Reused instance + memory restore from a snapshot, in-process (the reference trick).
const snapRef = {};
const snapInstance = new WebAssembly.Instance(module, hostImports(snapRef));
snapRef.memory = snapInstance.exports.memory;
snapInstance.exports._initialize();
const snapshot = new Uint8Array(snapRef.memory.buffer).slice();
const snapshotUs = time('snapshot', 20000, () => {
  snapInstance.exports.__invoke(inputBytes.length);
  new Uint8Array(snapRef.memory.buffer).set(snapshot);
});

const dirs = [];
async function runtimeWith(threads, extra = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-runtime-'));
  dirs.push(dataDir);
  return Runtime.create({ dataDir, threads, ...extra });
}

// The machine's floor for a thread hop: a bare Atomics ping-pong with a sleeping thread (what any
// runtime that sleeps between tasks pays twice per call).
async function pingPongUs() {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const peer = new Worker(
    `const w = new Int32Array(require('node:worker_threads').workerData);
     for (;;) { Atomics.wait(w, 0, 0); Atomics.store(w, 0, 0); Atomics.store(w, 1, 1); Atomics.notify(w, 1); }`,
    { eval: true, workerData: words.buffer },
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  const once = async () => {
    Atomics.store(words, 1, 0);
    Atomics.store(words, 0, 1);
    Atomics.notify(words, 0);
    const r = Atomics.waitAsync(words, 1, 0);
    if (r.async) await r.value;
  };
  for (let i = 0; i < 2000; i++) await once();
  const n = 20000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  await peer.terminate();
  return us;
}
const pingUs = await pingPongUs();

// Warm invocations, one at a time.
const fn = { module: 'bench', name: 'realistic', hash: codeHash(code) };
const request = { ...fn, capacityMiB: 64, input: inputBytes };
async function warmUsWith(extra) {
  const rt = await runtimeWith(1, extra);
  await rt.store({ ...fn, code });
  const expected = JSON.parse(Buffer.from((await rt.invoke(request)).result).toString()).payload;
  if (expected !== 'Hello benchmark!') throw new Error(`unexpected result ${expected}`);
  for (let i = 0; i < 2000; i++) await rt.invoke(request);
  const n = 20000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await rt.invoke(request);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  await rt.close();
  return us;
}
const warmUs = await warmUsWith({});
const warmNoPollUs = await warmUsWith({ idleSpinUs: 0 });
const rt1 = await runtimeWith(1);

// Cold start: a never-seen module (a custom section makes each copy distinct), store + first invoke.
const colds = [];
for (let i = 0; i < 15; i++) {
  const bytes = moduleVariant(code, i);
  const ref = { module: 'bench', name: `cold${i}`, hash: codeHash(bytes) };
  const t0 = process.hrtime.bigint();
  await rt1.store({ ...ref, code: bytes });
  await rt1.invoke({ ...ref, capacityMiB: 64, input: inputBytes });
  colds.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
colds.sort((a, b) => a - b);
const coldMedian = colds[Math.floor(colds.length / 2)];
await rt1.close();

// Throughput: many invocations in flight. The realistic function is tiny (a few µs), so its
// throughput is bound by the per-call hops; a compute-bound function (about 0.5 ms of guest work
// per call) shows how the threads themselves scale.
const busyCode = await wat(`(module
  (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "0")
  (func (export "__invoke") (param i32) (result i32)
    (local $i i32) (local $x i32)
    (loop $l
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1664525)) (i32.const 1013904223)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 400000))))
    (i32.store8 (i32.const 0) (i32.add (i32.const 48) (i32.and (local.get $x) (i32.const 7))))
    (call $r (i32.const 0) (i32.const 1))
    (i32.const 0)))`);
const busy = { module: 'bench', name: 'busy', hash: codeHash(busyCode) };

async function throughput(threads, fnCode, fnRef, total) {
  const rt = await runtimeWith(threads);
  await rt.store({ ...fnRef, code: fnCode });
  const req = { ...fnRef, capacityMiB: 64, input: inputBytes };
  const inflight = 32;
  const run = async (n) => {
    let done = 0;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (done < n) {
          done++;
          await rt.invoke(req);
        }
      }),
    );
  };
  await run(Math.ceil(total / 10));
  const t0 = process.hrtime.bigint();
  await run(total);
  const perSecond = total / (Number(process.hrtime.bigint() - t0) / 1e9);
  await rt.close();
  return perSecond;
}
const tp1 = await throughput(1, code, fn, 20000);
const tp2 = await throughput(2, code, fn, 20000);
const busy1 = await throughput(1, busyCode, busy, 2000);
const busy2 = await throughput(2, busyCode, busy, 2000);
for (const d of dirs) rmSync(d, { recursive: true, force: true });

const fmt = (n, d = 1) => n.toFixed(d);
console.log(
  `module: fixtures/c/realistic.c, ${(code.length / 1024).toFixed(0)} KB, ${fmt(initialMiB, 2)} MiB initial memory; ${availableParallelism()} CPUs`,
);
console.log(`baseline (fresh instance + call, JS WASI)   ${fmt(baselineUs)} µs/call`);
console.log(`guest alone (reused instance, no reset)     ${fmt(guestUs)} µs/call`);
console.log(`reused instance + snapshot restore          ${fmt(snapshotUs)} µs/call (in-process)`);
console.log(`thread hop floor (bare Atomics ping-pong)   ${fmt(pingUs)} µs/round trip`);
console.log(
  `warm invocation through the runtime         ${fmt(warmUs)} µs/call = ${fmt(warmUs - guestUs)} µs overhead over the guest (target <= 60); ${fmt(baselineUs / warmUs, 2)}x faster than the baseline`,
);
console.log(
  `  same without polling (idleSpinUs 0)        ${fmt(warmNoPollUs)} µs/call = ${fmt(warmNoPollUs - guestUs)} µs overhead`,
);
console.log(
  `cold start (store + first invoke)           median ${fmt(colds[Math.floor(colds.length / 2)], 2)} ms, min ${fmt(colds[0], 2)} ms, max ${fmt(colds.at(-1), 2)} ms (target <= 20)`,
);
console.log(`throughput, realistic, 1 thread              ${fmt(tp1, 0)} invocations/s`);
console.log(
  `throughput, realistic, 2 threads             ${fmt(tp2, 0)} invocations/s (${fmt(tp2 / tp1, 2)}x)`,
);
console.log(`throughput, compute-bound, 1 thread          ${fmt(busy1, 0)} invocations/s`);
console.log(
  `throughput, compute-bound, 2 threads         ${fmt(busy2, 0)} invocations/s (${fmt(busy2 / busy1, 2)}x)`,
);
if (coldMedian > 20 || warmUs - guestUs > 60) console.log('NOTE: a target was missed on this machine');
