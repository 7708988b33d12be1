import { randomFillSync } from 'node:crypto';

import {
  BinaryReader,
  encodeSection,
  readModule,
  Section,
  signedLeb128,
  unsignedLeb128,
  WASI_IMPORT_MODULE,
  WASM_PAGE_BYTES,
  type WasmSection,
} from '@funless/protocol';

import { BuildFailedError } from '../../errors/index.js';

/** The WASI reactor's initialisation, which engine.c's start is. */
const INIT_EXPORT = '_initialize';

/** engine.c's export telling why the bundle failed to load (a C string, or 0). */
const LOAD_ERROR_EXPORT = 'fl_load_error';

/** Zero bytes between two runs of data that still go into one segment (a segment header costs ~8). */
const MERGE_GAP_BYTES = 32;

/** WASI errno values the build-time imports answer with. */
const ERRNO = { success: 0, badf: 8, nosys: 52 } as const;

class ProcExit extends Error {}

/**
 * Just enough of WASI preview1 for the engine's initialisation at build time: clocks, random,
 * empty arguments and environment, writes accepted (and dropped). Anything else is ENOSYS.
 */
function buildTimeWasi(memory: () => WebAssembly.Memory, names: string[]): WebAssembly.ModuleImports {
  const view = () => new DataView(memory().buffer);
  const known: Record<string, (...args: number[]) => number> = {
    clock_time_get: (_id, _precision, out) => {
      view().setBigUint64(out, BigInt(Date.now()) * 1_000_000n, true);
      return ERRNO.success;
    },
    random_get: (ptr, len) => {
      randomFillSync(new Uint8Array(memory().buffer, ptr, len));
      return ERRNO.success;
    },
    args_sizes_get: (count, size) => {
      view().setUint32(count, 0, true);
      view().setUint32(size, 0, true);
      return ERRNO.success;
    },
    environ_sizes_get: (count, size) => {
      view().setUint32(count, 0, true);
      view().setUint32(size, 0, true);
      return ERRNO.success;
    },
    args_get: () => ERRNO.success,
    environ_get: () => ERRNO.success,
    fd_write: (_fd, iovs, count, written) => {
      let total = 0;
      for (let i = 0; i < count; i++) total += view().getUint32(iovs + i * 8 + 4, true);
      view().setUint32(written, total, true);
      return ERRNO.success;
    },
    fd_close: () => ERRNO.success,
    fd_seek: () => ERRNO.badf,
    fd_fdstat_get: () => ERRNO.badf,
    proc_exit: (code) => {
      throw new ProcExit(`exited with code ${code}`);
    },
  };
  return Object.fromEntries(names.map((n) => [n, known[n] ?? (() => ERRNO.nosys)]));
}

/** The initial value of the module's first global (the shadow stack pointer: the stack's top). */
function stackTop(bytes: Uint8Array, globals: WasmSection): number {
  const r = new BinaryReader(bytes, globals.start, globals.end);
  r.u32(); // count
  r.u8(); // value type
  r.u8(); // mutability
  if (r.u8() !== 0x41)
    throw new BuildFailedError("the engine module's stack pointer has no constant start value");
  return r.s32();
}

/** Active data segments (memory 0, constant offsets) for the non-zero runs of `memory`. */
function dataSegments(memory: Uint8Array): number[] {
  const segments: number[][] = [];
  let i = 0;
  while (i < memory.length) {
    while (i < memory.length && memory[i] === 0) i++;
    if (i >= memory.length) break;
    const start = i;
    let end = i;
    while (i < memory.length) {
      if (memory[i] !== 0) {
        end = ++i;
        continue;
      }
      let j = i;
      while (j < memory.length && memory[j] === 0 && j - end < MERGE_GAP_BYTES) j++;
      if (j >= memory.length || memory[j] === 0) break;
      i = j;
    }
    const data = memory.subarray(start, end);
    segments.push([0, 0x41, ...signedLeb128(start), 0x0b, ...unsignedLeb128(data.length), ...data]);
  }
  return [...unsignedLeb128(segments.length), ...segments.flat()];
}

/**
 * Runs a JavaScript function module's initialisation (the engine starting and evaluating the
 * bundle, `_initialize`) once, at build time, and returns a module that starts in the state it
 * left: its memory as data segments, no `_initialize` left to run. An instance of it is ready at
 * once, so a cold start skips the engine's start, and the code that only the start runs is never
 * compiled on a Worker. Fails with the bundle's own error when it throws while loading, or when
 * it does not export a function.
 */
export function preinitialise(code: Uint8Array): Uint8Array {
  const module = readModule(code);
  const own = module.memories.filter((m) => !m.imported);
  if (own.length !== 1 || module.hasPassiveSegments || module.mutableGlobals.length !== 1) {
    throw new BuildFailedError(
      'the engine module is not one the build can pre-initialise (one memory, one mutable global, active segments)',
    );
  }
  const globals = module.sections.find((s) => s.id === Section.Global)!;
  const wasm = new WebAssembly.Module(code);
  // The imports reach the memory once the instance exists.
  const live: { memory?: WebAssembly.Memory } = {};
  const getMemory = () => live.memory!;
  const wasiNames = WebAssembly.Module.imports(wasm)
    .filter((i) => i.module === WASI_IMPORT_MODULE)
    .map((i) => i.name);
  const noHost = () => {
    throw new BuildFailedError(
      'the function called the platform while loading (fetch at the top level of a module): top-level code runs once, at build time, so make requests from the function itself',
    );
  };
  const instance = new WebAssembly.Instance(wasm, {
    [WASI_IMPORT_MODULE]: buildTimeWasi(getMemory, wasiNames),
    fl_imps: {
      __get_input_data: noHost,
      __insert_response: noHost,
      __insert_error: noHost,
      __console_log: () => {},
      __http_request: noHost,
    },
  });
  const memory = instance.exports.memory as WebAssembly.Memory;
  live.memory = memory;
  (instance.exports[INIT_EXPORT] as () => void)();
  const errorPtr = (instance.exports[LOAD_ERROR_EXPORT] as () => number)() >>> 0;
  const bytes = new Uint8Array(memory.buffer);
  if (errorPtr !== 0) {
    const end = bytes.indexOf(0, errorPtr);
    throw new BuildFailedError(new TextDecoder().decode(bytes.subarray(errorPtr, end)));
  }
  // Below the stack's top is only what the start left on the stack: nothing to keep.
  const snapshot = bytes.slice();
  snapshot.fill(0, 0, stackTop(code, globals));
  const pages = snapshot.length / WASM_PAGE_BYTES;

  const parts: Uint8Array[] = [code.subarray(0, 8)];
  for (const s of module.sections) {
    const r = new BinaryReader(code, s.start, s.end);
    if (s.id === Section.Memory) {
      r.u32();
      const { flags, max } = r.limits();
      const content = [1, flags, ...unsignedLeb128(pages)];
      if (max !== undefined) content.push(...unsignedLeb128(Math.max(max, pages)));
      parts.push(encodeSection(Section.Memory, content));
    } else if (s.id === Section.Export) {
      const kept: number[] = [];
      let count = 0;
      for (let n = r.u32(); n > 0; n--) {
        const nameStart = r.offset;
        const length = r.u32();
        const name = new TextDecoder().decode(code.subarray(r.offset, r.offset + length));
        r.skip(length);
        r.u8();
        r.u32();
        if (name === INIT_EXPORT || name === LOAD_ERROR_EXPORT) continue;
        kept.push(...code.subarray(nameStart, r.offset));
        count++;
      }
      parts.push(encodeSection(Section.Export, [...unsignedLeb128(count), ...kept]));
    } else if (s.id === Section.Data) {
      parts.push(encodeSection(Section.Data, dataSegments(snapshot)));
    } else if (s.id === Section.DataCount) {
      // Would need the new segment count; the engine is built without bulk memory, so has none.
      throw new BuildFailedError(
        'the engine module has a data count section, which the build does not rewrite',
      );
    } else {
      parts.push(code.subarray(s.headerStart, s.end));
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
