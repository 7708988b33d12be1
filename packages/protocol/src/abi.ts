/** Constants of the FunLess function binary interface (docs/functions.md, "The two shapes"). */

/** The import module the FunLess ABI functions come from. */
export const FL_IMPORT_MODULE = 'fl_imps';
/** The WASI preview1 import module. */
export const WASI_IMPORT_MODULE = 'wasi_snapshot_preview1';
/** Import modules a function may use; anything else is refused at upload. */
export const ALLOWED_IMPORT_MODULES: readonly string[] = [FL_IMPORT_MODULE, WASI_IMPORT_MODULE];

/** The `fl_imps` functions the host provides, with their parameter counts (all i32, no results). */
export const FL_IMPORTS = {
  __get_input_data: 1,
  __insert_response: 2,
  __insert_error: 2,
  __console_log: 2,
  __http_request: 10,
} as const satisfies Record<string, number>;

/** Export that marks the FunLess-ABI shape: `__invoke(input_len: i32) -> i32`. */
export const INVOKE_EXPORT = '__invoke';
/** Export that marks the WASI-command shape. */
export const START_EXPORT = '_start';

/** `__http_request` method numbers. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

/** Bytes in one Wasm page. */
export const WASM_PAGE_BYTES = 65_536;
/** Bytes in one MiB: capacities are in MiB. */
export const MIB = 1024 * 1024;
/** Pages a wasm32 memory can address (4 GiB). */
export const MAX_WASM32_PAGES = 65_536;
/** Largest capacity of a function, in MiB: all a wasm32 memory can address. */
export const MAX_CAPACITY_MIB = (MAX_WASM32_PAGES * WASM_PAGE_BYTES) / MIB;

/** Pages of linear memory a capacity allows: the maximum the Worker gives memory 0. */
export function capacityPages(capacityMiB: number): number {
  return Math.min(MAX_WASM32_PAGES, Math.floor((capacityMiB * MIB) / WASM_PAGE_BYTES));
}

/** The two function shapes. */
export const FunctionShape = { FunLess: 'funless', WasiCommand: 'wasi-command' } as const;
export type FunctionShape = (typeof FunctionShape)[keyof typeof FunctionShape];

/** Names of modules and functions: docs/api.md, "Names". */
export const NAME_PATTERN = /^[_a-zA-Z0-9]+$/;
export const NAME_MAX_LENGTH = 160;
export const NAME_RULE = `names are 1-${NAME_MAX_LENGTH} characters of letters, digits and _`;

/** Function metadata defaults (docs/design.md, "Entities"). */
export const DEFAULT_TAG = 'default';
export const DEFAULT_CAPACITY_MIB = 64;
