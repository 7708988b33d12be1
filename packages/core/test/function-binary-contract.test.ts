/**
 * The one rule of what a function binary is (docs/functions.md), checked on both sides: every
 * module below goes to the Core's upload and to a real Worker runtime. A module is either refused
 * at upload, with the same message the Worker would give, or accepted, and then it runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { codeHash, encodeSection, ErrorCode, readModule, Section, unsignedLeb128 } from '@funless/protocol';
import { ECHO_WAT, wat, watFixture } from '@funless/testing';
import { Runtime } from '@funless/worker';

import { createTestCore, uniqueName } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

interface Case {
  name: string;
  code: () => Promise<Uint8Array>;
  /** @default 64 */
  capacity?: number;
  /** Refused at upload with this message; otherwise accepted. */
  refused?: RegExp;
  /**
   * For a refused module: how the Worker refuses it. `store` (the default): at store, with the
   * Core's very message; an error code: at invocation, with that code.
   */
  worker?: 'store' | ErrorCode;
  /** For an accepted module: the input and the result of one invocation. */
  input?: unknown;
  result?: unknown;
}

/** `base` with a global section of `count` mutable i32 globals inserted where it belongs. */
function withMutableGlobals(base: Uint8Array, count: number): Uint8Array {
  const globals = encodeSection(
    Section.Global,
    Buffer.concat([
      Buffer.from(unsignedLeb128(count)),
      Buffer.alloc(count * 5, Buffer.from([0x7f, 1, 0x41, 0, 0x0b])),
    ]),
  );
  const at = readModule(base).sections.find((s) => s.id === Section.Export)!.headerStart;
  return Buffer.concat([base.subarray(0, at), globals, base.subarray(at)]);
}

/** A WASI command `_start() {}` whose one memory has these limits flags (3 = shared, with a maximum). */
function commandWithMemoryFlags(flags: number): Uint8Array {
  return Buffer.concat([
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    encodeSection(Section.Type, [1, 0x60, 0, 0]),
    encodeSection(Section.Function, [1, 0]),
    encodeSection(Section.Memory, [1, flags, 1, 1]),
    encodeSection(Section.Export, [1, 6, ...Buffer.from('_start'), 0, 0]),
    encodeSection(Section.Code, [1, 2, 0, 0x0b]),
  ]);
}

const INVOKE_ZERO = '(func (export "__invoke") (param i32) (result i32) (i32.const 0))';

const CASES: Case[] = [
  // Accepted, and they run.
  {
    name: 'the hello fixture',
    code: () => watFixture('hello'),
    input: { name: 'Ada' },
    result: { payload: 'Hello Ada!' },
  },
  { name: 'a WASI command', code: () => watFixture('print-command'), result: { ok: true } },
  {
    name: 'a WASI command that keeps its memory private',
    code: () =>
      wat(`(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory 1)
        (data (i32.const 0) "\\10\\00\\00\\00\\0e\\00\\00\\00")
        (data (i32.const 16) "{\\"private\\":1}\\n")
        (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`),
    result: { private: 1 },
  },
  {
    name: 'a FunLess-ABI module built as a WASI command: _start runs once first',
    code: () =>
      wat(`(module
        (import "fl_imps" "__insert_response" (func $out (param i32 i32)))
        (memory (export "memory") 1)
        (global $ready (mut i32) (i32.const 0))
        (data (i32.const 0) "true")
        (data (i32.const 8) "false")
        (func (export "_start") (global.set $ready (i32.const 1)))
        (func (export "__invoke") (param i32) (result i32)
          (if (global.get $ready)
            (then (call $out (i32.const 0) (i32.const 4)))
            (else (call $out (i32.const 8) (i32.const 5))))
          (i32.const 0)))`),
    result: true,
  },
  {
    name: 'WASI calls the sandbox refuses answer ENOTCAPABLE (76) and ENOSYS (52)',
    code: () =>
      wat(`(module
        (import "wasi_snapshot_preview1" "path_open"
          (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_advise" (func $advise (param i32 i64 i64 i32) (result i32)))
        (import "fl_imps" "__insert_response" (func $out (param i32 i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "[00,00]")
        (func $put (param $at i32) (param $n i32)
          (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
          (i32.store8 (i32.add (local.get $at) (i32.const 1))
            (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))
        (func (export "__invoke") (param i32) (result i32)
          (call $put (i32.const 101) (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0)
            (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0)))
          (call $put (i32.const 104) (call $advise (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 0)))
          (call $out (i32.const 100) (i32.const 7))
          (i32.const 0)))`),
    result: [76, 52],
  },
  {
    name: 'a module with passive segments (a fresh instance per call)',
    code: () =>
      wat(`(module
        (import "fl_imps" "__insert_response" (func $out (param i32 i32)))
        (memory (export "memory") 1)
        (data $d "[1]")
        (func (export "__invoke") (param i32) (result i32)
          (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3))
          (call $out (i32.const 0) (i32.const 3))
          (i32.const 0)))`),
    result: [1],
  },
  {
    name: 'active segments that fill memory and table to the last byte and entry',
    code: () =>
      wat(`(module
        (import "fl_imps" "__insert_response" (func $out (param i32 i32)))
        (memory (export "memory") 1)
        (table 2 funcref)
        (func $f)
        (elem (i32.const 1) $f)
        (data (i32.const 65533) "[7]")
        (func (export "__invoke") (param i32) (result i32)
          (call $out (i32.const 65533) (i32.const 3))
          (i32.const 0)))`),
    result: [7],
  },
  {
    name: '99,997 mutable globals: with the runtime exports, exactly the 100,000 exports a module may have',
    code: async () => withMutableGlobals(await wat(ECHO_WAT), 99_997),
    input: { many: 'globals' },
    result: { many: 'globals' },
  },

  // Refused at upload, and by the Worker.
  { name: 'empty code', code: () => Promise.resolve(new Uint8Array()), refused: /^code is empty$/ },
  {
    name: 'a text file',
    code: () => Promise.resolve(Buffer.from('console.log("hello")\n')),
    refused: /code is not a WebAssembly binary/,
  },
  {
    name: 'a truncated binary',
    code: async () => (await watFixture('hello')).subarray(0, -10),
    refused: /^code is not a valid WebAssembly module: unexpected end of data at byte \d+$/,
  },
  {
    name: 'a binary V8 does not validate',
    // The body of _start ends with `unreachable` instead of `end`.
    code: async () => {
      const code = Uint8Array.from(
        await wat('(module (memory (export "memory") 1) (func (export "_start")))'),
      );
      code[code.length - 1] = 0x00;
      return code;
    },
    refused: /^code is not a valid WebAssembly module: /,
  },
  {
    name: 'an import from an unknown module',
    code: () => wat(`(module (import "env" "foo" (func)) (memory (export "memory") 1) ${INVOKE_ZERO})`),
    refused: /imports env\.foo, which the platform does not provide/,
  },
  {
    name: 'an import with a name of 10,000 characters: the message shows its start',
    code: () =>
      wat(
        `(module (import "env" "${'x'.repeat(10_000)}" (func)) (memory (export "memory") 1) ${INVOKE_ZERO})`,
      ),
    refused: /^imports env\."x{64}"… \(10000 characters\), which the platform does not provide/,
  },
  {
    name: 'an fl_imps function the ABI does not have',
    code: () =>
      wat(
        `(module (import "fl_imps" "__launch_missiles" (func (param i32))) (memory (export "memory") 1) ${INVOKE_ZERO})`,
      ),
    refused:
      /imports fl_imps\.__launch_missiles, which the platform does not provide \(fl_imps has __get_input_data/,
  },
  {
    name: 'an fl_imps name that is a property of every JavaScript object',
    code: () =>
      wat(`(module (import "fl_imps" "constructor" (func)) (memory (export "memory") 1) ${INVOKE_ZERO})`),
    refused: /imports fl_imps\.constructor, which the platform does not provide/,
  },
  {
    name: 'an fl_imps function with another signature',
    code: () =>
      wat(
        `(module (import "fl_imps" "__insert_response" (func (param i32))) (memory (export "memory") 1) ${INVOKE_ZERO})`,
      ),
    refused:
      /imports fl_imps\.__insert_response as \(i32\) -> \(\), but the platform provides it as \(i32, i32\) -> \(\)/,
  },
  {
    name: 'a name that is not WASI preview1',
    code: () =>
      wat(
        '(module (import "wasi_snapshot_preview1" "sock_open" (func)) (memory 1) (func (export "_start")))',
      ),
    refused: /imports wasi_snapshot_preview1\.sock_open, which is not a WASI preview1 function/,
  },
  {
    name: 'a WASI function with another signature',
    code: () =>
      wat(`(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
        (memory 1) (func (export "_start")))`),
    refused:
      /imports wasi_snapshot_preview1\.fd_write as \(i32\) -> \(i32\), but the platform provides it as \(i32, i32, i32, i32\) -> \(i32\)/,
  },
  {
    name: 'an imported memory',
    code: () =>
      wat('(module (import "wasi_snapshot_preview1" "memory" (memory 1)) (func (export "_start")))'),
    refused: /imports memory wasi_snapshot_preview1\.memory; only functions can be imported/,
  },
  {
    name: 'a WASI command without a memory',
    code: () => wat('(module (func (export "_start")))'),
    refused: /defines no memory; a function must define one linear memory/,
  },
  {
    name: 'a shared memory',
    code: () => Promise.resolve(commandWithMemoryFlags(3)),
    refused: /uses a shared memory, which the platform does not run/,
  },
  {
    name: 'neither shape',
    code: () => wat('(module (memory (export "memory") 1) (func (export "main")))'),
    refused: /exports neither __invoke .* nor _start.*its exports are: memory, main/,
  },
  {
    name: '__invoke without an exported memory',
    code: () => wat(`(module (memory 1) ${INVOKE_ZERO})`),
    refused: /exports __invoke but no memory named "memory"/,
  },
  {
    name: '__invoke with another signature',
    code: () => wat('(module (memory (export "memory") 1) (func (export "__invoke") (param i64)))'),
    refused: /exports __invoke as \(i64\) -> \(\), but it must be a function \(i32\) -> \(i32\)/,
  },
  {
    name: '_start with another signature',
    code: () => wat('(module (memory 1) (func (export "_start") (param i32)))'),
    refused: /exports _start as \(i32\) -> \(\), but it must be a function \(\) -> \(\)/,
  },
  {
    name: '_initialize that is not a function',
    code: () =>
      wat(
        `(module (memory (export "memory") 1) (global (export "_initialize") i32 (i32.const 0)) ${INVOKE_ZERO})`,
      ),
    refused: /exports _initialize as a global, but it must be a function \(\) -> \(\)/,
  },
  {
    name: "an export named like the runtime's own",
    code: () =>
      wat(`(module (memory (export "memory") 1) (export "\\00fl.memory" (memory 0)) ${INVOKE_ZERO})`),
    refused: /exports "\\u0000fl\.memory"; names starting with "\\u0000fl\." are the runtime's own/,
  },
  {
    name: '99,999 mutable globals: more exports than a module may have once the runtime adds its own',
    code: async () => withMutableGlobals(await wat('(module (memory 1) (func (export "_start")))'), 99_999),
    refused:
      /needs 100001 exports \(1 of its own, the rest to reset its mutable globals and tables between calls\), more than the 100000/,
  },
  {
    name: 'a data segment past the end of the initial memory',
    code: () => wat(`(module (memory (export "memory") 1) (data (i32.const 65534) "abc") ${INVOKE_ZERO})`),
    refused:
      /data segment 0 \(3 bytes at 65534\) does not fit in the memory's initial 65536 bytes; no instance of the module could be created/,
  },
  {
    name: 'an element segment past the end of its table',
    code: () =>
      wat(
        `(module (memory (export "memory") 1) (table 1 funcref) (func $f) (elem (i32.const 1) $f) ${INVOKE_ZERO})`,
      ),
    refused:
      /element segment 0 \(1 entries at 1\) does not fit in table 0's initial 1 entries; no instance of the module could be created/,
  },
  {
    name: 'a minimum memory larger than the capacity (refused by the Worker when it runs it)',
    code: () => wat('(module (memory (export "memory") 32) (func (export "_start")))'),
    capacity: 1,
    refused: /minimum memory of 2 MiB \(32 pages of 64 KiB\), more than its capacity of 1 MiB/,
    worker: ErrorCode.MemoryLimit,
  },
];

describe('a function binary is refused at upload, or accepted and run by a Worker', () => {
  let core: TestCore;
  let runtime: Runtime;
  let dataDir: string;
  let module: string;
  before(async () => {
    core = await createTestCore('sqlite');
    module = uniqueName('mod');
    assert.equal((await core.request('POST', '/v1/fn', { json: { module: { name: module } } })).status, 201);
    dataDir = await mkdtemp(join(tmpdir(), 'fl-contract-'));
    runtime = await Runtime.create({ dataDir, threads: 1 });
  });
  after(async () => {
    await runtime.close();
    await core.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(`${c.refused ? 'refused' : 'runs'}: ${c.name}`, async () => {
      const code = await c.code();
      const capacity = c.capacity ?? 64;
      const name = uniqueName('fn');
      const upload = await core.request('POST', `/v1/fn/${module}`, {
        form: { name, code, metadata: JSON.stringify({ capacity }) },
      });
      const ref = { module, name, hash: codeHash(code) };
      if (!c.refused) {
        assert.equal(upload.status, 201, upload.body);
        await runtime.store({ ...ref, code });
        const input = Buffer.from(JSON.stringify(c.input ?? {}));
        const run = await runtime.invoke({ ...ref, capacityMiB: capacity, input });
        assert.equal(run.type, 'result', 'the Worker holds what it stored');
        if (run.type === 'result') assert.deepEqual(JSON.parse(Buffer.from(run.result).toString()), c.result);
        return;
      }
      assert.equal(upload.status, 400, upload.body);
      const message: string = upload.json.errors.detail;
      assert.match(message, c.refused);
      if ((c.worker ?? 'store') === 'store') {
        // V8's byte offsets (`@+50`) are in the binary it compiled: the Worker compiles its rewrite.
        const withoutOffset = (text: string) => text.replace(/ @\+\d+$/, '');
        await assert.rejects(runtime.store({ ...ref, code }), (error: Error & { code?: string }) => {
          assert.equal(error.code, ErrorCode.InvalidModule);
          assert.equal(withoutOffset(error.message), withoutOffset(message));
          return true;
        });
      } else {
        await runtime.store({ ...ref, code });
        await assert.rejects(runtime.invoke({ ...ref, capacityMiB: capacity, input: Buffer.from('{}') }), {
          code: c.worker,
        });
      }
    });
  }
});
