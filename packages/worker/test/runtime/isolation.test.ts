import assert from 'node:assert/strict';
import { test } from 'node:test';

import { wat, watFixture } from '@funless/testing';

import { fn, rejectsWith, withRuntime, run } from './helpers.js';

test('nothing survives between invocations: memory and global counters are 1 every time, also after a trap', async () => {
  await withRuntime({ threads: 1 }, async (runtime) => {
    const probe = fn(await watFixture('state-probe'));
    await runtime.store(probe);
    const call = (input: unknown) => run(runtime, { ...probe, capacityMiB: 64, input });
    const fresh = { memory: 1, global: 1, pages: 1 };
    for (let i = 0; i < 5; i++) assert.deepEqual((await call({})).result, fresh);
    await rejectsWith(call({ t: 1 }), 'trap', /unreachable/);
    assert.deepEqual((await call({})).result, fresh);
    // Growing memory: the grown instance is not reused.
    assert.deepEqual((await call({ g: 1 })).result, { memory: 1, global: 1, pages: 2 });
    assert.deepEqual((await call({})).result, fresh);
    for (let i = 0; i < 3; i++) {
      await rejectsWith(call({ t: 1 }), 'trap');
      assert.deepEqual((await call({})).result, fresh);
    }
  });
});

test('isolation holds on every thread under concurrent load', async () => {
  await withRuntime({ threads: 2 }, async (runtime) => {
    const probe = fn(await watFixture('state-probe'));
    await runtime.store(probe);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        run(runtime, { ...probe, capacityMiB: 64, input: i % 7 === 0 ? { g: 1 } : {} }),
      ),
    );
    for (const r of results) {
      const { memory, global } = r.result as { memory: number; global: number };
      assert.equal(memory, 1);
      assert.equal(global, 1);
    }
  });
});

test('tables changed by the guest are restored too', async () => {
  // __invoke calls table slot 0, then replaces it: a leak would make the second call answer 2.
  const code = await wat(`(module
    (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
    (memory (export "memory") 1)
    (table $t 2 funcref)
    (elem (table $t) (i32.const 0) func $one $two)
    (type $v (func (result i32)))
    (func $one (result i32) (i32.const 49))
    (func $two (result i32) (i32.const 50))
    (func (export "__invoke") (param i32) (result i32)
      (i32.store8 (i32.const 0) (call_indirect $t (type $v) (i32.const 0)))
      (table.set $t (i32.const 0) (table.get $t (i32.const 1)))
      (call $r (i32.const 0) (i32.const 1))
      (i32.const 0)))`);
  await withRuntime({ threads: 1 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    for (let i = 0; i < 3; i++)
      assert.equal((await run(runtime, { ...f, capacityMiB: 64, input: {} })).result, 1);
  });
});

test('modules with passive data segments get a fresh instance every time', async () => {
  // memory.init + data.drop: the second call on a reused instance would trap.
  const code = await wat(`(module
    (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
    (memory (export "memory") 1)
    (data $d "42")
    (func (export "__invoke") (param i32) (result i32)
      (memory.init $d (i32.const 0) (i32.const 0) (i32.const 2))
      (data.drop $d)
      (call $r (i32.const 0) (i32.const 2))
      (i32.const 0)))`);
  await withRuntime({ threads: 1 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    for (let i = 0; i < 3; i++)
      assert.equal((await run(runtime, { ...f, capacityMiB: 64, input: {} })).result, 42);
  });
});

test('a reused wasi-libc module answers exactly what a fresh instance answers, call after call', async () => {
  const { cFixture } = await import('@funless/testing');
  const code = await cFixture('realistic');
  const module = new WebAssembly.Module(code);
  // Ground truth: a brand-new instance per call, in-process.
  const fresh = (input: string): string => {
    const bytes = new TextEncoder().encode(input);
    const ref: { memory?: WebAssembly.Memory } = {};
    let response = '';
    const instance = new WebAssembly.Instance(module, {
      fl_imps: {
        __get_input_data: (ptr: number) => new Uint8Array(ref.memory!.buffer).set(bytes, ptr),
        __insert_response: (ptr: number, len: number) => {
          response = new TextDecoder().decode(new Uint8Array(ref.memory!.buffer, ptr, len));
        },
      },
      wasi_snapshot_preview1: { fd_close: () => 8, fd_seek: () => 70, fd_write: () => 8 },
    });
    ref.memory = instance.exports.memory as WebAssembly.Memory;
    (instance.exports._initialize as () => void)();
    assert.equal((instance.exports.__invoke as (n: number) => number)(bytes.length), 0);
    return response;
  };
  await withRuntime({ threads: 2 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    const names = Array.from({ length: 60 }, (_, i) => 'n'.repeat((i * 7) % 150) + String(i));
    const results = await Promise.all(
      names.map((name) => run(runtime, { ...f, capacityMiB: 64, input: { name } })),
    );
    results.forEach((r, i) =>
      assert.deepEqual(r.result, JSON.parse(fresh(JSON.stringify({ name: names[i] })))),
    );
  });
});
