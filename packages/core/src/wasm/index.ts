export { BinaryReader, WasmFormatError } from './binary-reader.js';
export { readModuleInfo } from './module-info.js';
export type { ExportInfo, FuncType, ImportInfo, MemoryLimits, ModuleInfo } from './module-info.js';
export { InvalidFunctionError, validateFunctionBinary } from './validate-function-binary.js';
export type { FunctionBinaryInfo } from './validate-function-binary.js';
export { WASI_PREVIEW1_FUNCTIONS } from './wasi-preview1.js';
