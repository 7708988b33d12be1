export { BinaryReader, type Limits } from './binary-reader.js';
export {
  checkFunction,
  compileFunction,
  signatureText,
  validateFunction,
  type FunctionBinary,
} from './check-function.js';
export { codeHash } from './code-hash.js';
export { InvalidFunctionError } from './invalid-function-error.js';
export {
  EXTERN_KIND_NAMES,
  ExternKind,
  readModule,
  Section,
  type ActiveSegment,
  ValueType,
  type FuncType,
  type WasmExport,
  type WasmImport,
  type WasmMemory,
  type WasmModule,
  type WasmSection,
} from './read-module.js';
export {
  isSnapshotable,
  MAX_EXPORTS,
  RUNTIME_EXPORT_PREFIX,
  runtimeExports,
  runtimeGlobalExport,
  runtimeMemoryExport,
  runtimeTableExport,
  type RuntimeExport,
} from './runtime-exports.js';
export { mayWriteTables } from './table-writes.js';
export { WASI_NOT_CAPABLE, WASI_PREVIEW1_FUNCTIONS } from './wasi-preview1.js';
export { WasmFormatError } from './wasm-format-error.js';
export { encodeSection, signedLeb128, unsignedLeb128 } from './leb128.js';
