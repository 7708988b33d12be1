import {
  ALLOWED_IMPORT_MODULES,
  ErrorCode,
  FL_IMPORTS,
  FL_IMPORT_MODULE,
  FlError,
  FunctionShape,
  INVOKE_EXPORT,
  MIB,
  START_EXPORT,
  WASI_IMPORT_MODULE,
  WASM_PAGE_BYTES,
} from '@funless/protocol';

import { WasmFormatError } from './binary-reader.js';
import { I32, readModuleInfo } from './module-info.js';
import type { FuncType, ModuleInfo } from './module-info.js';
import { WASI_PREVIEW1_FUNCTIONS } from './wasi-preview1.js';

/** An upload that is not a function the platform can run (HTTP 400). */
export class InvalidFunctionError extends FlError {
  override readonly name = 'InvalidFunctionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidModule, message, options);
  }
}

/** What validation learnt about a binary. */
export interface FunctionBinaryInfo {
  shape: FunctionShape;
  /** Declared minimum of the module's linear memory, in bytes (0 without a memory). */
  minMemoryBytes: number;
}

function signature(type: FuncType | undefined): string {
  if (!type) return 'unknown';
  const names: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };
  const list = (codes: number[]): string => codes.map((c) => names[c] ?? `0x${c.toString(16)}`).join(', ');
  return `(${list(type.params)}) -> (${list(type.results)})`;
}

function sameType(type: FuncType | undefined, params: number[], results: number[]): boolean {
  return (
    type !== undefined &&
    type.params.length === params.length &&
    type.params.every((p, i) => p === params[i]) &&
    type.results.length === results.length &&
    type.results.every((p, i) => p === results[i])
  );
}

function checkImports(info: ModuleInfo): void {
  for (const imp of info.imports) {
    const what = `${imp.module}.${imp.name}`;
    if (!ALLOWED_IMPORT_MODULES.includes(imp.module)) {
      throw new InvalidFunctionError(
        `imports ${what}, which the platform does not provide (only ${ALLOWED_IMPORT_MODULES.join(' and ')} imports are allowed)`,
      );
    }
    if (imp.kind !== 'function') {
      throw new InvalidFunctionError(
        `imports ${imp.kind} ${what}; only functions can be imported (a function defines its own memory)`,
      );
    }
    if (imp.module === FL_IMPORT_MODULE) {
      const expected = (FL_IMPORTS as Record<string, number | undefined>)[imp.name];
      if (expected === undefined) {
        throw new InvalidFunctionError(
          `imports ${what}, which the platform does not provide (${FL_IMPORT_MODULE} has ${Object.keys(FL_IMPORTS).join(', ')})`,
        );
      }
      const params = Array<number>(expected).fill(I32);
      if (!sameType(imp.type, params, [])) {
        throw new InvalidFunctionError(
          `imports ${what} as ${signature(imp.type)}, but the platform provides it as ${signature({ params, results: [] })}`,
        );
      }
    } else if (imp.module === WASI_IMPORT_MODULE && !WASI_PREVIEW1_FUNCTIONS.has(imp.name)) {
      throw new InvalidFunctionError(`imports ${what}, which is not a WASI preview1 function`);
    }
  }
}

function checkShape(info: ModuleInfo): FunctionShape {
  const invoke = info.exports.find((e) => e.name === INVOKE_EXPORT);
  const start = info.exports.find((e) => e.name === START_EXPORT);
  if (invoke) {
    if (invoke.kind !== 'function' || !sameType(invoke.type, [I32], [I32])) {
      throw new InvalidFunctionError(
        `exports ${INVOKE_EXPORT} as ${invoke.kind === 'function' ? signature(invoke.type) : `a ${invoke.kind}`}, but it must be a function (i32) -> (i32)`,
      );
    }
    const memory = info.exports.find((e) => e.name === 'memory');
    if (memory?.kind !== 'memory') {
      throw new InvalidFunctionError(
        `exports ${INVOKE_EXPORT} but no memory named "memory"; a FunLess-ABI function must export both`,
      );
    }
    return FunctionShape.FunLess;
  }
  if (start) {
    if (start.kind !== 'function' || !sameType(start.type, [], [])) {
      throw new InvalidFunctionError(
        `exports ${START_EXPORT} as ${start.kind === 'function' ? signature(start.type) : `a ${start.kind}`}, but it must be a function () -> ()`,
      );
    }
    return FunctionShape.WasiCommand;
  }
  const names = info.exports.map((e) => e.name);
  throw new InvalidFunctionError(
    `exports neither ${INVOKE_EXPORT} (with memory, the FunLess ABI) nor ${START_EXPORT} (a WASI command); ` +
      `its exports are: ${names.length > 0 ? names.join(', ') : 'none'}`,
  );
}

/**
 * Checks that `code` is a function the platform can run: a valid WebAssembly module of one of the
 * two shapes (exports `memory` and `__invoke`, or `_start`), importing only the `fl_imps` functions
 * the host provides (with their signatures) and WASI preview1 functions, with a declared minimum
 * memory within `capacityMiB`. Throws `InvalidFunctionError` naming what is wrong.
 */
export async function validateFunctionBinary(
  code: Uint8Array,
  capacityMiB: number,
): Promise<FunctionBinaryInfo> {
  if (code.byteLength === 0) throw new InvalidFunctionError('code is empty');
  if (code.byteLength < 8 || code[0] !== 0 || code[1] !== 0x61 || code[2] !== 0x73 || code[3] !== 0x6d) {
    throw new InvalidFunctionError(
      'code is not a WebAssembly binary (it does not start with \\0asm); upload the compiled .wasm file',
    );
  }
  try {
    // Compiling (off the main thread in V8) is the authoritative validity check.
    await WebAssembly.compile(code);
  } catch (error) {
    const detail =
      error instanceof Error ? error.message.replace(/^WebAssembly\.compile\(\): /, '') : String(error);
    throw new InvalidFunctionError(`code is not a valid WebAssembly module: ${detail}`, { cause: error });
  }
  let info: ModuleInfo;
  try {
    info = readModuleInfo(code);
  } catch (error) {
    if (error instanceof WasmFormatError) {
      throw new InvalidFunctionError(`code could not be read: ${error.message}`, { cause: error });
    }
    throw error;
  }
  checkImports(info);
  const shape = checkShape(info);
  const memory = info.memories[0];
  if (memory?.memory64)
    throw new InvalidFunctionError('uses a 64-bit memory, which the platform does not run');
  const minMemoryBytes = (memory?.minPages ?? 0) * WASM_PAGE_BYTES;
  if (minMemoryBytes > capacityMiB * MIB) {
    throw new InvalidFunctionError(
      `declares a minimum memory of ${(minMemoryBytes / MIB).toFixed(2).replace(/\.?0+$/, '')} MiB ` +
        `(${memory?.minPages} pages of 64 KiB), more than its capacity of ${capacityMiB} MiB; ` +
        'raise metadata.capacity or shrink the memory',
    );
  }
  return { shape, minMemoryBytes };
}
