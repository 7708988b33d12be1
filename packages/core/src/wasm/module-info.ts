import { BinaryReader, WasmFormatError } from './binary-reader.js';

/** The signature of a function type: value type codes of its parameters and results. */
export interface FuncType {
  params: number[];
  results: number[];
}

export type ExternKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

export interface MemoryLimits {
  /** Minimum size in 64 KiB pages. */
  minPages: number;
  maxPages: number | undefined;
  memory64: boolean;
}

export interface ImportInfo {
  module: string;
  name: string;
  kind: ExternKind;
  /** For function imports: its type. */
  type?: FuncType;
  /** For memory imports. */
  memory?: MemoryLimits;
}

export interface ExportInfo {
  name: string;
  kind: ExternKind;
  index: number;
  /** For function exports: its type. */
  type?: FuncType;
}

/** What upload validation needs to know about a module, read from its binary. */
export interface ModuleInfo {
  imports: ImportInfo[];
  exports: ExportInfo[];
  /** Memories in index order: imported ones first, then those the module defines. */
  memories: MemoryLimits[];
}

/** Value type code of i32. */
export const I32 = 0x7f;

const KINDS: readonly ExternKind[] = ['function', 'table', 'memory', 'global', 'tag'];

const Section = { Type: 1, Import: 2, Function: 3, Memory: 5, Export: 7 } as const;

function readLimits(r: BinaryReader): MemoryLimits {
  const at = r.offset;
  const flags = r.u8();
  if (flags > 0x07) throw new WasmFormatError(`unknown limits flags 0x${flags.toString(16)}`, at);
  const memory64 = (flags & 0x04) !== 0;
  const read = (): number => (memory64 ? r.u64() : r.u32());
  const minPages = read();
  const maxPages = (flags & 0x01) !== 0 ? read() : undefined;
  return { minPages, maxPages, memory64 };
}

function readFuncType(r: BinaryReader): FuncType {
  const at = r.offset;
  const form = r.u8();
  if (form !== 0x60) throw new WasmFormatError(`unsupported type form 0x${form.toString(16)}`, at);
  const params: number[] = [];
  for (let n = r.u32(); n > 0; n--) params.push(r.u8());
  const results: number[] = [];
  for (let n = r.u32(); n > 0; n--) results.push(r.u8());
  return { params, results };
}

/**
 * Reads the type, import, function, memory and export sections of a WebAssembly binary and skips
 * the others. Assumes the caller checked the module is valid (so indices are in range); throws
 * `WasmFormatError` on malformed bytes all the same.
 */
export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  const r = new BinaryReader(bytes);
  const magic = r.bytesOf(4);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
    throw new WasmFormatError('missing the \\0asm magic number', 0);
  }
  r.skip(4); // version
  const types: FuncType[] = [];
  const funcTypes: number[] = []; // type index of each function, imports first
  const imports: ImportInfo[] = [];
  const exports: ExportInfo[] = [];
  const memories: MemoryLimits[] = [];
  while (!r.atEnd) {
    const id = r.u8();
    const size = r.u32();
    const start = r.offset;
    const body = new BinaryReader(bytes, start, start + size);
    r.skip(size);
    switch (id) {
      case Section.Type:
        for (let n = body.u32(); n > 0; n--) types.push(readFuncType(body));
        break;
      case Section.Import:
        for (let n = body.u32(); n > 0; n--) {
          const module = body.name();
          const name = body.name();
          const at = body.offset;
          const kind = KINDS[body.u8()];
          if (kind === undefined) throw new WasmFormatError('unknown import kind', at);
          const info: ImportInfo = { module, name, kind };
          if (kind === 'function') {
            const typeIndex = body.u32();
            funcTypes.push(typeIndex);
            const type = types[typeIndex];
            if (type) info.type = type;
          } else if (kind === 'table') {
            body.u8();
            readLimits(body);
          } else if (kind === 'memory') {
            info.memory = readLimits(body);
            memories.push(info.memory);
          } else if (kind === 'global') {
            body.u8();
            body.u8();
          } else {
            body.u8();
            body.u32();
          }
          imports.push(info);
        }
        break;
      case Section.Function:
        for (let n = body.u32(); n > 0; n--) funcTypes.push(body.u32());
        break;
      case Section.Memory:
        for (let n = body.u32(); n > 0; n--) memories.push(readLimits(body));
        break;
      case Section.Export:
        for (let n = body.u32(); n > 0; n--) {
          const name = body.name();
          const at = body.offset;
          const kind = KINDS[body.u8()];
          if (kind === undefined) throw new WasmFormatError('unknown export kind', at);
          const index = body.u32();
          exports.push({ name, kind, index });
        }
        break;
      default:
        break;
    }
  }
  for (const e of exports) {
    if (e.kind !== 'function') continue;
    const typeIndex = funcTypes[e.index];
    const type = typeIndex === undefined ? undefined : types[typeIndex];
    if (type) e.type = type;
  }
  return { imports, exports, memories };
}
