import {
  ErrorCode,
  FL_IMPORT_MODULE,
  FL_IMPORTS,
  FlError,
  FunctionShape,
  INVOKE_EXPORT,
  START_EXPORT,
  WASI_IMPORT_MODULE,
  WASM_PAGE_BYTES,
} from '@funless/protocol';

import {
  parseWasm,
  rewriteWasm,
  SNAPSHOT_EXPORT_PREFIX,
  WasmFormatError,
  type WasmInfo,
} from './wasm-binary.js';

const I32 = 0x7f;
const V128 = 0x7b;
/** Largest memory a wasm32 module can address, in pages. */
export const MAX_WASM32_PAGES = 65_536;

/** What the runtime knows about a function's module, computed once per hash. */
export interface ModuleMeta {
  shape: FunctionShape;
  /**
   * How the instance is initialised, once, before its first `__invoke`: `_initialize` for a WASI
   * reactor; `_start` for a FunLess-ABI module built as a WASI command (e.g. TinyGo), whose
   * runtime is set up by `_start`; nothing otherwise.
   */
  init: '_initialize' | '_start' | undefined;
  /** Initial size of the linear memory, in pages. */
  initialPages: number;
  /** The module's own memory maximum, in pages, if it declares one. */
  declaredMaxPages: number | undefined;
  /**
   * An instance can be reset to its post-instantiation state by restoring memory, mutable globals
   * and tables. False when some state cannot be read back from JavaScript (passive segments,
   * v128 globals).
   */
  snapshotable: boolean;
  /** Global and table indexes exported for snapshots (see `rewriteWasm`). */
  globals: number[];
  tables: number[];
}

/** A module parsed and checked, ready to be prepared for a capacity. */
export interface AnalysedModule {
  meta: ModuleMeta;
  info: WasmInfo;
}

function invalid(message: string, cause?: unknown): FlError {
  return new FlError(ErrorCode.InvalidModule, `invalid module: ${message}`, { cause });
}

/**
 * Checks that `bytes` is a function the runtime can run (one of the two shapes, only the imports
 * the host provides, one memory of its own) and describes it. Compilation itself is checked by the
 * caller. Throws `FlError(invalid_module)` naming what is wrong.
 */
export function analyseModule(bytes: Uint8Array): AnalysedModule {
  let info: WasmInfo;
  try {
    info = parseWasm(bytes);
  } catch (err) {
    if (err instanceof WasmFormatError) throw invalid(err.message, err);
    throw err;
  }
  for (const imp of info.imports) {
    const where = `import ${imp.module}.${imp.name}`;
    if (imp.kind !== 0) {
      throw invalid(
        `${where} is not a function; the host provides functions only (the module must define its own memory)`,
      );
    }
    if (imp.module === FL_IMPORT_MODULE) {
      const arity = (FL_IMPORTS as Record<string, number>)[imp.name];
      if (arity === undefined) {
        throw invalid(`${where} is not part of the FunLess ABI (${Object.keys(FL_IMPORTS).join(', ')})`);
      }
      if (imp.params?.length !== arity || imp.params.some((p) => p !== I32) || imp.results?.length !== 0) {
        throw invalid(`${where} must take ${arity} i32 parameters and return nothing`);
      }
    } else if (imp.module !== WASI_IMPORT_MODULE) {
      throw invalid(
        `${where} comes from an unknown module; allowed: ${FL_IMPORT_MODULE}, ${WASI_IMPORT_MODULE}`,
      );
    }
  }
  for (const name of info.exports.keys()) {
    if (name.startsWith(SNAPSHOT_EXPORT_PREFIX))
      throw invalid(`export name ${JSON.stringify(name)} is reserved`);
  }
  if (info.memories.length !== 1) {
    throw invalid(`the module must define exactly one memory, it defines ${info.memories.length}`);
  }
  const memory = info.memories[0]!;
  if (memory.flags & 2) throw invalid('shared memories are not supported');
  if (memory.flags & 4) throw invalid('64-bit memories are not supported');

  const invoke = info.exports.get(INVOKE_EXPORT);
  const start = info.exports.get(START_EXPORT);
  let shape: FunctionShape;
  if (invoke) {
    if (invoke.kind !== 0) throw invalid(`export ${INVOKE_EXPORT} is not a function`);
    const mem = info.exports.get('memory');
    if (!mem || mem.kind !== 2) throw invalid(`a FunLess-ABI module must export its memory as "memory"`);
    shape = FunctionShape.FunLess;
  } else if (start) {
    if (start.kind !== 0) throw invalid(`export ${START_EXPORT} is not a function`);
    shape = FunctionShape.WasiCommand;
  } else {
    throw invalid(
      `the module exports neither ${INVOKE_EXPORT} (FunLess ABI) nor ${START_EXPORT} (WASI command)`,
    );
  }
  const init =
    info.exports.get('_initialize')?.kind === 0
      ? '_initialize'
      : shape === FunctionShape.FunLess && start?.kind === 0
        ? '_start'
        : undefined;
  const snapshotable = !info.hasPassiveSegments && !info.mutableGlobals.some((g) => g.type === V128);
  return {
    info,
    meta: {
      shape,
      init,
      initialPages: memory.min,
      declaredMaxPages: memory.max,
      snapshotable,
      globals: snapshotable ? info.mutableGlobals.map((g) => g.index) : [],
      // Tables the code cannot change need no snapshot (restoring a big one costs tens of µs).
      tables: snapshotable && info.tablesMutable ? info.tables : [],
    },
  };
}

/** Pages of linear memory a capacity allows. */
export function capacityPages(capacityMiB: number): number {
  return Math.min(MAX_WASM32_PAGES, Math.floor((capacityMiB * 1024 * 1024) / WASM_PAGE_BYTES));
}

/**
 * The module's bytes with the memory maximum set to the capacity (and snapshot exports added).
 * Throws `FlError(memory_limit)` when the module starts with more memory than the capacity.
 */
export function prepareModule(bytes: Uint8Array, analysed: AnalysedModule, capacityMiB: number): Uint8Array {
  const maxPages = capacityPages(capacityMiB);
  if (analysed.meta.initialPages > maxPages) {
    throw new FlError(
      ErrorCode.MemoryLimit,
      `the module starts with ${(analysed.meta.initialPages * WASM_PAGE_BYTES) / 1024 / 1024} MiB of linear memory, more than its capacity of ${capacityMiB} MiB`,
    );
  }
  return rewriteWasm(bytes, analysed.info, { maxPages, addSnapshotExports: analysed.meta.snapshotable });
}
