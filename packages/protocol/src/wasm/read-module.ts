import { BinaryReader, type Limits } from './binary-reader.js';
import { WasmFormatError } from './wasm-format-error.js';

/** The kinds of what a module imports and exports, by their binary codes. */
export const ExternKind = { Function: 0, Table: 1, Memory: 2, Global: 3, Tag: 4 } as const;
export type ExternKind = (typeof ExternKind)[keyof typeof ExternKind];

/** Words for each kind, for messages. */
export const EXTERN_KIND_NAMES: Record<ExternKind, string> = {
  0: 'function',
  1: 'table',
  2: 'memory',
  3: 'global',
  4: 'tag',
};

/** Value type codes of the number types. */
export const ValueType = { I32: 0x7f, I64: 0x7e, F32: 0x7d, F64: 0x7c, V128: 0x7b } as const;

/** The signature of a function type: value type codes of its parameters and results. */
export interface FuncType {
  params: readonly number[];
  results: readonly number[];
}

export interface WasmImport {
  module: string;
  name: string;
  kind: ExternKind;
  /** For function imports: its type. */
  type?: FuncType;
}

export interface WasmExport {
  name: string;
  kind: ExternKind;
  index: number;
  /** For function exports: its type. */
  type?: FuncType;
}

export interface WasmMemory extends Limits {
  imported: boolean;
}

export interface ActiveSegment {
  kind: 'data' | 'element';
  /** The segment's index among those of its kind. */
  index: number;
  /** The memory (data) or table (element) it goes to. */
  target: number;
  offset: number;
  /** Bytes (data) or entries (element). */
  length: number;
}

/** Where a section lies in the binary. */
export interface WasmSection {
  id: number;
  /** Offset of the id byte. */
  headerStart: number;
  /** Offset of the section's content (after id and size). */
  start: number;
  end: number;
}

/** What the platform reads from a module's bytes: the one reader both the Core and the Worker use. */
export interface WasmModule {
  sections: WasmSection[];
  imports: WasmImport[];
  exports: WasmExport[];
  /** Memories in index order: imported ones first, then those the module defines. */
  memories: WasmMemory[];
  /** Indexes (in the global index space) and value types of the module's own mutable globals. */
  mutableGlobals: { index: number; type: number }[];
  /** Indexes (in the table index space) of the module's own tables. */
  tables: number[];
  /** Initial size of each table, in entries, by table index. */
  tableSizes: number[];
  /**
   * Active segments whose offset is a constant: instantiation copies them into memory or a
   * table, and fails when one does not fit.
   */
  activeSegments: ActiveSegment[];
  /** True when a data or element segment is passive: `data.drop`/`elem.drop` state cannot be restored. */
  hasPassiveSegments: boolean;
}

export const Section = {
  Custom: 0,
  Type: 1,
  Import: 2,
  Function: 3,
  Table: 4,
  Memory: 5,
  Global: 6,
  Export: 7,
  Start: 8,
  Element: 9,
  Code: 10,
  Data: 11,
  DataCount: 12,
  Tag: 13,
} as const;

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function externKind(r: BinaryReader, what: string): ExternKind {
  const at = r.offset;
  const kind = r.u8();
  if (kind > ExternKind.Tag) throw new WasmFormatError(`unknown ${what} kind ${kind}`, at);
  return kind as ExternKind;
}

function funcType(r: BinaryReader): FuncType {
  const at = r.offset;
  const form = r.u8();
  if (form !== 0x60) throw new WasmFormatError(`unsupported type form 0x${form.toString(16)}`, at);
  const params: number[] = [];
  for (let n = r.u32(); n > 0; n--) params.push(r.u8());
  const results: number[] = [];
  for (let n = r.u32(); n > 0; n--) results.push(r.u8());
  return { params, results };
}

/** Reads the element segments: whether one is passive, and the active ones with a constant offset. */
function readElementSegments(r: BinaryReader, module: WasmModule): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    if (flags > 7) throw new WasmFormatError(`unknown element segment flags ${flags}`, r.offset);
    const active = (flags & 1) === 0;
    if ((flags & 3) === 1) module.hasPassiveSegments = true;
    let table = 0;
    let offset: number | undefined;
    if (active) {
      if (flags & 2) table = r.u32();
      offset = r.constOffset();
    }
    if (flags & 3) r.u8(); // reftype or elemkind
    const count = r.u32();
    for (let j = 0; j < count; j++) {
      if (flags & 4) r.skipConstExpr();
      else r.u32();
    }
    if (offset !== undefined) {
      module.activeSegments.push({ kind: 'element', index: i, target: table, offset, length: count });
    }
  }
}

/** Reads the data segments: whether one is passive, and the active ones with a constant offset. */
function readDataSegments(r: BinaryReader, module: WasmModule): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const at = r.offset;
    const flags = r.u32();
    if (flags > 2) throw new WasmFormatError(`unknown data segment flags ${flags}`, at);
    if (flags === 1) {
      module.hasPassiveSegments = true;
      r.skip(r.u32());
      continue;
    }
    const memory = flags === 2 ? r.u32() : 0;
    const offset = r.constOffset();
    const length = r.u32();
    r.skip(length);
    if (offset !== undefined) {
      module.activeSegments.push({ kind: 'data', index: i, target: memory, offset, length });
    }
  }
}

/**
 * Reads what the platform needs from a WebAssembly binary (imports and exports with their types,
 * memories, mutable globals, tables, segments) and where each section is; function bodies are
 * left for {@link mayWriteTables}, which only the Worker needs.
 * Bounds-checked: throws {@link WasmFormatError} on bytes it cannot read. Everything else about
 * validity is left to `WebAssembly.compile`.
 */
export function readModule(bytes: Uint8Array): WasmModule {
  if (bytes.byteLength < 8 || MAGIC_AND_VERSION.some((b, i) => bytes[i] !== b)) {
    throw new WasmFormatError('missing the \\0asm magic number and version 1', 0);
  }
  const module: WasmModule = {
    sections: [],
    imports: [],
    exports: [],
    memories: [],
    mutableGlobals: [],
    tables: [],
    tableSizes: [],
    activeSegments: [],
    hasPassiveSegments: false,
  };
  const types: FuncType[] = [];
  const funcTypes: number[] = []; // type index of each function, imports first
  let importedGlobals = 0;
  let importedTables = 0;
  const top = new BinaryReader(bytes, 8);
  while (!top.atEnd) {
    const headerStart = top.offset;
    const id = top.u8();
    const size = top.u32();
    const start = top.offset;
    top.skip(size);
    module.sections.push({ id, headerStart, start, end: start + size });
    const r = new BinaryReader(bytes, start, start + size);
    switch (id) {
      case Section.Type:
        for (let n = r.u32(); n > 0; n--) types.push(funcType(r));
        break;
      case Section.Import:
        for (let n = r.u32(); n > 0; n--) {
          const moduleName = r.name();
          const name = r.name();
          const kind = externKind(r, 'import');
          const imp: WasmImport = { module: moduleName, name, kind };
          if (kind === ExternKind.Function) {
            const at = r.offset;
            const typeIndex = r.u32();
            const type = types[typeIndex];
            if (!type) throw new WasmFormatError(`import ${moduleName}.${name} names an unknown type`, at);
            funcTypes.push(typeIndex);
            imp.type = type;
          } else if (kind === ExternKind.Table) {
            r.u8();
            module.tableSizes.push(r.limits().min);
            importedTables++;
          } else if (kind === ExternKind.Memory) {
            module.memories.push({ ...r.limits(), imported: true });
          } else if (kind === ExternKind.Global) {
            r.u8();
            r.u8();
            importedGlobals++;
          } else {
            r.u8();
            r.u32();
          }
          module.imports.push(imp);
        }
        break;
      case Section.Function:
        for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
        break;
      case Section.Table: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          r.u8();
          module.tableSizes.push(r.limits().min);
          module.tables.push(importedTables + i);
        }
        break;
      }
      case Section.Memory:
        for (let n = r.u32(); n > 0; n--) module.memories.push({ ...r.limits(), imported: false });
        break;
      case Section.Global: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const type = r.u8();
          const mutable = r.u8();
          r.skipConstExpr();
          if (mutable) module.mutableGlobals.push({ index: importedGlobals + i, type });
        }
        break;
      }
      case Section.Export:
        for (let n = r.u32(); n > 0; n--) {
          const name = r.name();
          const kind = externKind(r, 'export');
          module.exports.push({ name, kind, index: r.u32() });
        }
        break;
      case Section.Element:
        readElementSegments(r, module);
        break;
      case Section.Data:
        readDataSegments(r, module);
        break;
      default:
        break;
    }
  }
  for (const e of module.exports) {
    if (e.kind !== ExternKind.Function) continue;
    const type = types[funcTypes[e.index] ?? -1];
    if (type) e.type = type;
  }
  return module;
}
