import {
  capacityPages,
  checkFunction,
  ErrorCode,
  FlError,
  isSnapshotable,
  mayWriteTables,
  MIB,
  WASM_PAGE_BYTES,
  type FunctionBinary,
  type FunctionShape,
} from '@funless/protocol';

import { rewriteWasm } from './wasm-binary.js';

/** What the runtime knows about a function's module, computed once per hash and posted to threads. */
export interface ModuleMeta {
  shape: FunctionShape;
  /** How the instance is initialised, once, before its first call (see `FunctionBinary.init`). */
  init: FunctionBinary['init'];
  /** Initial size of the linear memory, in pages. */
  initialPages: number;
  /**
   * An instance can be reset to its post-instantiation state by restoring memory, mutable globals
   * and tables (see `isSnapshotable`).
   */
  snapshotable: boolean;
  /** Global and table indexes exported for snapshots (see `runtimeExports`). */
  globals: number[];
  tables: number[];
}

/** A module checked, ready to be prepared for a capacity. */
export interface AnalysedModule {
  meta: ModuleMeta;
  checked: FunctionBinary;
}

/**
 * Checks that `bytes` is a function the platform runs, with the same `checkFunction` the Core ran
 * at upload, and describes it for the threads. Throws `InvalidFunctionError` (`invalid_module`).
 */
export function analyseModule(bytes: Uint8Array): AnalysedModule {
  const checked = checkFunction(bytes);
  const { module } = checked;
  const snapshotable = isSnapshotable(module);
  return {
    checked,
    meta: {
      shape: checked.shape,
      init: checked.init,
      initialPages: checked.initialPages,
      snapshotable,
      globals: snapshotable ? module.mutableGlobals.map((g) => g.index) : [],
      // Tables the code cannot change need no snapshot (restoring a big one costs tens of µs).
      tables: snapshotable && mayWriteTables(bytes, module) ? module.tables : [],
    },
  };
}

/**
 * The module's bytes with the memory maximum set to the capacity (and the runtime's exports added).
 * Throws `FlError(memory_limit)` when the module starts with more memory than the capacity.
 */
export function prepareModule(bytes: Uint8Array, analysed: AnalysedModule, capacityMiB: number): Uint8Array {
  const maxPages = capacityPages(capacityMiB);
  if (analysed.meta.initialPages > maxPages) {
    throw new FlError(
      ErrorCode.MemoryLimit,
      `the module starts with ${(analysed.meta.initialPages * WASM_PAGE_BYTES) / MIB} MiB of linear memory, more than its capacity of ${capacityMiB} MiB`,
    );
  }
  return rewriteWasm(bytes, analysed.checked.module, maxPages);
}
