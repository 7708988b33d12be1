import {
  ALLOWED_IMPORT_MODULES,
  FL_IMPORT_MODULE,
  FL_IMPORTS,
  FunctionShape,
  INVOKE_EXPORT,
  MIB,
  START_EXPORT,
  WASM_PAGE_BYTES,
} from '../abi.js';
import { InvalidFunctionError } from './invalid-function-error.js';
import { EXTERN_KIND_NAMES, ExternKind, readModule, ValueType } from './read-module.js';
import type { FuncType, WasmExport, WasmModule } from './read-module.js';
import { MAX_EXPORTS, RUNTIME_EXPORT_PREFIX, runtimeExports } from './runtime-exports.js';
import { WASI_PREVIEW1_FUNCTIONS } from './wasi-preview1.js';
import { WasmFormatError } from './wasm-format-error.js';

/** What {@link checkFunction} learnt about a function binary. */
export interface FunctionBinary {
  shape: FunctionShape;
  /**
   * How an instance is initialised, once, before its first call: `_initialize` for a WASI
   * reactor; `_start` for a FunLess-ABI module built as a WASI command (e.g. TinyGo), whose
   * language runtime `_start` sets up; nothing otherwise.
   */
  init: '_initialize' | '_start' | undefined;
  /** Declared minimum of the module's memory, in 64 KiB pages. */
  initialPages: number;
  /** Everything the reader found, for the Worker's rewrite. */
  module: WasmModule;
}

const TYPE_NAMES: Record<number, string> = {
  [ValueType.I32]: 'i32',
  [ValueType.I64]: 'i64',
  [ValueType.F32]: 'f32',
  [ValueType.F64]: 'f64',
  [ValueType.V128]: 'v128',
};

/** A signature as messages (and the WASI table) write it: `(i32, i64) -> (i32)`. */
export function signatureText(type: FuncType | undefined): string {
  if (!type) return 'unknown';
  const list = (codes: readonly number[]): string =>
    codes.map((c) => TYPE_NAMES[c] ?? `0x${c.toString(16)}`).join(', ');
  return `(${list(type.params)}) -> (${list(type.results)})`;
}

/** Longest name a message shows whole. */
const NAME_SHOWN = 64;
/** Most export names a message lists. */
const NAMES_LISTED = 12;

/**
 * A name from the binary as a message shows it: as is when short and printable, else quoted (a
 * name can hold any Unicode, and be as long as the binary) and cut.
 */
function shown(name: string): string {
  if (/^[\x21-\x7e]+$/.test(name) && name.length <= NAME_SHOWN) return name;
  const cut = name.length > NAME_SHOWN;
  return `${JSON.stringify(cut ? name.slice(0, NAME_SHOWN) : name)}${cut ? `… (${name.length} characters)` : ''}`;
}

function flSignature(params: number): string {
  return signatureText({ params: Array<number>(params).fill(ValueType.I32), results: [] });
}

function checkImports(module: WasmModule): void {
  for (const imp of module.imports) {
    const what = `${shown(imp.module)}.${shown(imp.name)}`;
    if (!ALLOWED_IMPORT_MODULES.includes(imp.module)) {
      throw new InvalidFunctionError(
        `imports ${what}, which the platform does not provide (only ${ALLOWED_IMPORT_MODULES.join(' and ')} imports are allowed)`,
      );
    }
    if (imp.kind !== ExternKind.Function) {
      throw new InvalidFunctionError(
        `imports ${EXTERN_KIND_NAMES[imp.kind]} ${what}; only functions can be imported (a function defines its own memory)`,
      );
    }
    let expected: string;
    if (imp.module === FL_IMPORT_MODULE) {
      if (!Object.hasOwn(FL_IMPORTS, imp.name)) {
        throw new InvalidFunctionError(
          `imports ${what}, which the platform does not provide (${FL_IMPORT_MODULE} has ${Object.keys(FL_IMPORTS).join(', ')})`,
        );
      }
      expected = flSignature(FL_IMPORTS[imp.name as keyof typeof FL_IMPORTS]);
    } else {
      if (!Object.hasOwn(WASI_PREVIEW1_FUNCTIONS, imp.name)) {
        throw new InvalidFunctionError(`imports ${what}, which is not a WASI preview1 function`);
      }
      expected = WASI_PREVIEW1_FUNCTIONS[imp.name]!;
    }
    const actual = signatureText(imp.type);
    if (actual !== expected) {
      throw new InvalidFunctionError(
        `imports ${what} as ${actual}, but the platform provides it as ${expected}`,
      );
    }
  }
}

function checkMemory(module: WasmModule): number {
  if (module.memories.length !== 1) {
    throw new InvalidFunctionError(
      module.memories.length === 0
        ? 'defines no memory; a function must define one linear memory (its input and result pass through it)'
        : `defines ${module.memories.length} memories; a function must define exactly one`,
    );
  }
  const memory = module.memories[0]!;
  if (memory.flags & 0x04)
    throw new InvalidFunctionError('uses a 64-bit memory, which the platform does not run');
  if (memory.flags & 0x02)
    throw new InvalidFunctionError('uses a shared memory, which the platform does not run');
  return memory.min;
}

/** Instantiation copies the active segments in, and fails when one does not fit: check it now. */
function checkSegments(module: WasmModule, initialPages: number): void {
  for (const seg of module.activeSegments) {
    const room = seg.kind === 'data' ? initialPages * WASM_PAGE_BYTES : module.tableSizes[seg.target];
    if (room === undefined || seg.offset + seg.length <= room) continue;
    throw new InvalidFunctionError(
      seg.kind === 'data'
        ? `data segment ${seg.index} (${seg.length} bytes at ${seg.offset}) does not fit in the memory's initial ${room} bytes; no instance of the module could be created`
        : `element segment ${seg.index} (${seg.length} entries at ${seg.offset}) does not fit in table ${seg.target}'s initial ${room} entries; no instance of the module could be created`,
    );
  }
}

/** `export` must be a function of exactly `signature`. */
function checkExportedFunction(e: WasmExport, signature: string): void {
  if (e.kind !== ExternKind.Function || signatureText(e.type) !== signature) {
    throw new InvalidFunctionError(
      `exports ${shown(e.name)} as ${e.kind === ExternKind.Function ? signatureText(e.type) : `a ${EXTERN_KIND_NAMES[e.kind]}`}, but it must be a function ${signature}`,
    );
  }
}

function checkExports(module: WasmModule): Pick<FunctionBinary, 'shape' | 'init'> {
  const byName = new Map(module.exports.map((e) => [e.name, e]));
  for (const e of module.exports) {
    if (e.name.startsWith(RUNTIME_EXPORT_PREFIX)) {
      throw new InvalidFunctionError(
        `exports ${shown(e.name)}; names starting with ${JSON.stringify(RUNTIME_EXPORT_PREFIX)} are the runtime's own`,
      );
    }
  }
  const invoke = byName.get(INVOKE_EXPORT);
  const start = byName.get(START_EXPORT);
  const initialize = byName.get('_initialize');
  if (start) checkExportedFunction(start, '() -> ()');
  if (initialize) checkExportedFunction(initialize, '() -> ()');
  if (invoke) {
    checkExportedFunction(invoke, '(i32) -> (i32)');
    if (byName.get('memory')?.kind !== ExternKind.Memory) {
      throw new InvalidFunctionError(
        `exports ${INVOKE_EXPORT} but no memory named "memory"; a FunLess-ABI function must export both`,
      );
    }
    return { shape: FunctionShape.FunLess, init: initialize ? '_initialize' : start ? '_start' : undefined };
  }
  if (start) return { shape: FunctionShape.WasiCommand, init: initialize ? '_initialize' : undefined };
  const names = module.exports.slice(0, NAMES_LISTED).map((e) => shown(e.name));
  if (module.exports.length > NAMES_LISTED) names.push(`and ${module.exports.length - NAMES_LISTED} more`);
  throw new InvalidFunctionError(
    `exports neither ${INVOKE_EXPORT} (with memory, the FunLess ABI) nor ${START_EXPORT} (a WASI command); ` +
      `its exports are: ${names.length > 0 ? names.join(', ') : 'none'}`,
  );
}

/** MiB with at most two decimals: `2`, `1.06`. */
function mib(bytes: number): string {
  return (bytes / MIB).toFixed(2).replace(/\.?0+$/, '');
}

/**
 * The one rule of what a function is, checked by the Core at upload and by the Worker before it
 * runs anything, so that whatever the Core accepts, a Worker runs (docs/functions.md). `code` must
 * be a WebAssembly binary of one of the two shapes (exports `memory` and `__invoke: (i32) -> (i32)`,
 * or `_start: () -> ()`), import only functions the host provides, with their signatures (the
 * `fl_imps` ABI and WASI preview1), define exactly one 32-bit, unshared memory into which (and
 * into whose tables) its active segments fit, leave the runtime's export names and room for its
 * exports, and — when `capacityMiB` is given — start with no more
 * memory than that. Throws {@link InvalidFunctionError} naming what is wrong. Does not compile:
 * see {@link validateFunction}.
 */
export function checkFunction(code: Uint8Array, capacityMiB?: number): FunctionBinary {
  if (code.byteLength === 0) throw new InvalidFunctionError('code is empty');
  if (code.byteLength < 4 || code[0] !== 0 || code[1] !== 0x61 || code[2] !== 0x73 || code[3] !== 0x6d) {
    throw new InvalidFunctionError(
      'code is not a WebAssembly binary (it does not start with \\0asm); upload the compiled .wasm file',
    );
  }
  let module: WasmModule;
  try {
    module = readModule(code);
  } catch (error) {
    if (error instanceof WasmFormatError) {
      throw new InvalidFunctionError(`code is not a valid WebAssembly module: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  checkImports(module);
  const initialPages = checkMemory(module);
  checkSegments(module, initialPages);
  const { shape, init } = checkExports(module);
  const exports = module.exports.length + runtimeExports(module).length;
  if (exports > MAX_EXPORTS) {
    throw new InvalidFunctionError(
      `needs ${exports} exports (${module.exports.length} of its own, the rest to reset its mutable globals and tables between calls), more than the ${MAX_EXPORTS} a module may have; export less, or use fewer mutable globals`,
    );
  }
  if (capacityMiB !== undefined && initialPages * WASM_PAGE_BYTES > capacityMiB * MIB) {
    throw new InvalidFunctionError(
      `declares a minimum memory of ${mib(initialPages * WASM_PAGE_BYTES)} MiB ` +
        `(${initialPages} pages of 64 KiB), more than its capacity of ${capacityMiB} MiB; ` +
        'raise metadata.capacity or shrink the memory',
    );
  }
  return { shape, init, initialPages, module };
}

/** Compiles a binary; what V8 refuses becomes an {@link InvalidFunctionError} with V8's reason. */
export async function compileFunction(code: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(code);
  } catch (error) {
    const detail =
      error instanceof Error ? error.message.replace(/^WebAssembly\.compile\(\): /, '') : String(error);
    throw new InvalidFunctionError(`code is not a valid WebAssembly module: ${detail}`, { cause: error });
  }
}

/**
 * What the Core runs at upload: {@link checkFunction}, then a compilation (off the main thread in
 * V8), the authoritative check of everything else.
 */
export async function validateFunction(code: Uint8Array, capacityMiB: number): Promise<FunctionBinary> {
  const checked = checkFunction(code, capacityMiB);
  await compileFunction(code);
  return checked;
}
