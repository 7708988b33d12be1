/**
 * A minimal reader/rewriter of the WebAssembly binary format: just enough to learn what the runtime
 * needs about a module (imports, exports, memory limits, mutable globals, tables, passive segments)
 * and to rewrite the memory maximum and add the exports that snapshots need. Validation of
 * everything else is left to `WebAssembly.compile`.
 */

export class WasmFormatError extends Error {}

const SECTION_ORDER: Record<number, number> = {
  1: 1, // type
  2: 2, // import
  3: 3, // function
  4: 4, // table
  5: 5, // memory
  13: 6, // tag
  6: 7, // global
  7: 8, // export
  8: 9, // start
  9: 10, // element
  12: 11, // data count
  10: 12, // code
  11: 13, // data
};
const EXPORT_SECTION = 7;

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  byte(): number {
    if (this.pos >= this.end) throw new WasmFormatError('unexpected end of section');
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new WasmFormatError('LEB128 integer too long');
    }
  }
  /** Skips a signed LEB128 of any width. */
  skipLeb(): void {
    while (this.byte() & 0x80);
  }
  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.end) throw new WasmFormatError('unexpected end of section');
  }
  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    return new TextDecoder().decode(this.bytes.subarray(start, start + len));
  }
  limits(): { flags: number; min: number; max: number | undefined } {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : undefined;
    return { flags, min, max };
  }
  /** Skips a constant expression (global initialisers, segment offsets). */
  skipConstExpr(): void {
    for (;;) {
      const op = this.byte();
      switch (op) {
        case 0x0b:
          return;
        case 0x41:
        case 0x42:
          this.skipLeb();
          break;
        case 0x43:
          this.skip(4);
          break;
        case 0x44:
          this.skip(8);
          break;
        case 0x23: // global.get
        case 0xd2: // ref.func
          this.u32();
          break;
        case 0xd0: // ref.null
          this.byte();
          break;
        case 0xfd: // v128.const
          this.u32();
          this.skip(16);
          break;
        case 0x6a: // extended constant expressions: i32/i64 add, sub, mul
        case 0x6b:
        case 0x6c:
        case 0x7c:
        case 0x7d:
        case 0x7e:
          break;
        default:
          throw new WasmFormatError(`unsupported opcode 0x${op.toString(16)} in a constant expression`);
      }
    }
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

function encodeName(name: string): number[] {
  const bytes = new TextEncoder().encode(name);
  return [...leb(bytes.length), ...bytes];
}

export interface WasmImport {
  module: string;
  name: string;
  /** 0 function, 1 table, 2 memory, 3 global, 4 tag. */
  kind: number;
  /** For functions: parameter and result counts and types. */
  params?: number[];
  results?: number[];
}

export interface WasmSection {
  id: number;
  /** Offset of the section's content (after id and size). */
  start: number;
  end: number;
  /** Offset of the id byte. */
  headerStart: number;
}

/** What the runtime learns from a module's bytes. */
export interface WasmInfo {
  sections: WasmSection[];
  imports: WasmImport[];
  exports: Map<string, { kind: number; index: number }>;
  /** The module's own memories (not imported). */
  memories: { flags: number; min: number; max: number | undefined }[];
  /** Indexes (in the global index space) and value types of the module's own mutable globals. */
  mutableGlobals: { index: number; type: number }[];
  /** Indexes (in the table index space) of the module's own tables. */
  tables: number[];
  /** True when a data or element segment is passive: `data.drop`/`elem.drop` state cannot be restored. */
  hasPassiveSegments: boolean;
  /**
   * False only when the code provably contains no instruction that changes a table (table.set,
   * table.grow, table.fill, table.copy, table.init): then tables need no snapshot. True when in
   * doubt (an instruction the scanner does not know).
   */
  tablesMutable: boolean;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Parses the parts of a module the runtime needs. Throws {@link WasmFormatError} on malformed input. */
export function parseWasm(bytes: Uint8Array): WasmInfo {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WasmFormatError('not a WebAssembly module (bad magic number or version)');
  }
  const info: WasmInfo = {
    sections: [],
    imports: [],
    exports: new Map(),
    memories: [],
    mutableGlobals: [],
    tables: [],
    hasPassiveSegments: false,
    tablesMutable: true,
  };
  const types: { params: number[]; results: number[] }[] = [];
  let importedGlobals = 0;
  let importedTables = 0;
  const top = new Reader(bytes, 8);
  while (!top.done) {
    const headerStart = top.pos;
    const id = top.byte();
    const size = top.u32();
    const start = top.pos;
    top.skip(size);
    info.sections.push({ id, start, end: start + size, headerStart });
    const r = new Reader(bytes, start, start + size);
    switch (id) {
      case 1: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const form = r.byte();
          if (form !== 0x60) throw new WasmFormatError('unsupported type form (GC types)');
          const params = Array.from({ length: r.u32() }, () => r.byte());
          const results = Array.from({ length: r.u32() }, () => r.byte());
          types.push({ params, results });
        }
        break;
      }
      case 2: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          const imp: WasmImport = { module, name, kind };
          if (kind === 0) {
            const type = types[r.u32()];
            if (!type) throw new WasmFormatError(`import ${module}.${name} names an unknown type`);
            imp.params = type.params;
            imp.results = type.results;
          } else if (kind === 1) {
            r.byte();
            r.limits();
            importedTables++;
          } else if (kind === 2) {
            r.limits();
          } else if (kind === 3) {
            r.byte();
            r.byte();
            importedGlobals++;
          } else if (kind === 4) {
            r.byte();
            r.u32();
          } else {
            throw new WasmFormatError(`unknown import kind ${kind}`);
          }
          info.imports.push(imp);
        }
        break;
      }
      case 4: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          r.byte();
          r.limits();
          info.tables.push(importedTables + i);
        }
        break;
      }
      case 5: {
        const n = r.u32();
        for (let i = 0; i < n; i++) info.memories.push(r.limits());
        break;
      }
      case 6: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const type = r.byte();
          const mutable = r.byte();
          r.skipConstExpr();
          if (mutable) info.mutableGlobals.push({ index: importedGlobals + i, type });
        }
        break;
      }
      case 7: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const name = r.name();
          const kind = r.byte();
          const index = r.u32();
          info.exports.set(name, { kind, index });
        }
        break;
      }
      case 9:
        if (elementSegmentsPassive(r)) info.hasPassiveSegments = true;
        break;
      case 10:
        info.tablesMutable = codeMutatesTables(r);
        break;
      case 11: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const flags = r.u32();
          if (flags === 1) {
            info.hasPassiveSegments = true;
            break;
          }
          if (flags === 2) r.u32();
          r.skipConstExpr();
          r.skip(r.u32());
        }
        break;
      }
      default:
        break;
    }
  }
  return info;
}

/** Decodes the element segments looking for a passive one. */
function elementSegmentsPassive(r: Reader): boolean {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    if ((flags & 3) === 1) return true;
    if ((flags & 1) === 0) {
      if (flags & 2) r.u32(); // table index
      r.skipConstExpr(); // offset
    }
    if (flags & 3) r.byte(); // reftype or elemkind
    const count = r.u32();
    for (let j = 0; j < count; j++) {
      if (flags & 4) r.skipConstExpr();
      else r.u32();
    }
  }
  return false;
}

const MEMARG_OPS = new Set<number>();
for (let op = 0x28; op <= 0x3e; op++) MEMARG_OPS.add(op);
const U32_OPS = new Set([
  0x0c, 0x0d, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0xd2, 0x07, 0x08, 0x09, 0x18,
]);
const TABLE_WRITE_FC = new Set([12, 14, 15, 17]);

/**
 * Decodes every function body looking for table writes. Returns true (mutable) on any opcode it
 * does not know, so that an unknown extension can only make the runtime more careful.
 */
function codeMutatesTables(r: Reader): boolean {
  try {
    const n = r.u32();
    for (let f = 0; f < n; f++) {
      const size = r.u32();
      const end = r.pos + size;
      const locals = r.u32();
      for (let i = 0; i < locals; i++) {
        r.u32();
        r.byte();
      }
      while (r.pos < end) {
        const op = r.byte();
        if (op === 0x26) return true; // table.set
        if (MEMARG_OPS.has(op)) {
          const align = r.u32();
          if (align & 0x40) r.u32();
          r.u32();
        } else if (U32_OPS.has(op)) r.u32();
        else if (op === 0x02 || op === 0x03 || op === 0x04 || op === 0x06)
          r.skipLeb(); // block type
        else if (op === 0x0e) {
          const targets = r.u32();
          for (let i = 0; i <= targets; i++) r.u32();
        } else if (op === 0x11 || op === 0x13) {
          r.u32();
          r.u32();
        } else if (op === 0x1c) {
          const count = r.u32();
          r.skip(count);
        } else if (op === 0x3f || op === 0x40) r.u32();
        else if (op === 0x41 || op === 0x42) r.skipLeb();
        else if (op === 0x43) r.skip(4);
        else if (op === 0x44) r.skip(8);
        else if (op === 0xd0) r.byte();
        else if (op === 0xfc) {
          const sub = r.u32();
          if (TABLE_WRITE_FC.has(sub)) return true;
          if (sub <= 7) continue;
          if (sub === 8) {
            r.u32();
            r.u32();
          } else if (sub === 9 || sub === 13 || sub === 16) r.u32();
          else if (sub === 10) {
            r.u32();
            r.u32();
          } else if (sub === 11) r.u32();
          else return true;
        } else if (op === 0xfd) {
          const sub = r.u32();
          if (sub <= 11 || sub === 92 || sub === 93) {
            const align = r.u32();
            if (align & 0x40) r.u32();
            r.u32();
          } else if (sub >= 84 && sub <= 91) {
            const align = r.u32();
            if (align & 0x40) r.u32();
            r.u32();
            r.byte();
          } else if (sub === 12 || sub === 13) r.skip(16);
          else if (sub >= 21 && sub <= 34) r.byte();
        } else if (op === 0xfe) {
          const sub = r.u32();
          if (sub === 3) r.byte();
          else {
            const align = r.u32();
            if (align & 0x40) r.u32();
            r.u32();
          }
        } else if (!(
          op === 0x00 ||
          op === 0x01 ||
          op === 0x05 ||
          op === 0x0b ||
          op === 0x0f ||
          op === 0x19 ||
          op === 0x1a ||
          op === 0x1b ||
          op === 0xd1 ||
          (op >= 0x45 && op <= 0xc4)
        )) {
          return true;
        }
      }
      r.pos = end;
    }
    return false;
  } catch {
    return true;
  }
}

/** Names of the exports the runtime adds so that it can snapshot and restore an instance. */
export const SNAPSHOT_EXPORT_PREFIX = '\u0000fl.';
export const snapshotMemoryExport = `${SNAPSHOT_EXPORT_PREFIX}memory`;
export const snapshotGlobalExport = (i: number): string => `${SNAPSHOT_EXPORT_PREFIX}global.${i}`;
export const snapshotTableExport = (i: number): string => `${SNAPSHOT_EXPORT_PREFIX}table.${i}`;

export interface RewriteOptions {
  /** New maximum of memory 0, in pages; the module's own maximum is kept when it is lower. */
  maxPages: number;
  /** Add exports for every own mutable global and every own table (memory 0 is always exported). */
  addSnapshotExports: boolean;
}

/**
 * Returns a copy of the module with memory 0's maximum lowered to `maxPages` and, optionally, the
 * snapshot exports added. The caller has checked that the module defines exactly one memory.
 */
export function rewriteWasm(bytes: Uint8Array, info: WasmInfo, options: RewriteOptions): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  const extraExports: number[][] = [];
  // Memory 0 is always exported under a fixed name: WASI needs it even when the module keeps it private.
  extraExports.push([...encodeName(snapshotMemoryExport), 2, ...leb(0)]);
  if (options.addSnapshotExports) {
    for (const g of info.mutableGlobals)
      extraExports.push([...encodeName(snapshotGlobalExport(g.index)), 3, ...leb(g.index)]);
    for (const t of info.tables) extraExports.push([...encodeName(snapshotTableExport(t)), 1, ...leb(t)]);
  }
  const section = (id: number, content: number[] | Uint8Array): Uint8Array => {
    const out = new Uint8Array(1 + leb(content.length).length + content.length);
    out[0] = id;
    const size = leb(content.length);
    out.set(size, 1);
    out.set(content, 1 + size.length);
    return out;
  };
  let exportsWritten = extraExports.length === 0;
  const exportSection = (existing?: WasmSection): Uint8Array => {
    let count = extraExports.length;
    let body: Uint8Array = new Uint8Array(0);
    if (existing) {
      const r = new Reader(bytes, existing.start, existing.end);
      count += r.u32();
      body = bytes.subarray(r.pos, existing.end);
    }
    const content = [...leb(count), ...body, ...extraExports.flat()];
    exportsWritten = true;
    return section(EXPORT_SECTION, content);
  };
  for (const s of info.sections) {
    const rank = SECTION_ORDER[s.id];
    if (!exportsWritten && rank !== undefined && rank > SECTION_ORDER[EXPORT_SECTION]!) {
      parts.push(exportSection());
    }
    if (s.id === 5) {
      const r = new Reader(bytes, s.start, s.end);
      const n = r.u32();
      const content: number[] = [...leb(n)];
      for (let i = 0; i < n; i++) {
        const { flags, min, max } = r.limits();
        const newMax = i === 0 ? Math.min(max ?? Infinity, options.maxPages) : max;
        content.push(newMax === undefined ? flags : flags | 1, ...leb(min));
        if (newMax !== undefined) content.push(...leb(newMax));
      }
      parts.push(section(5, content));
    } else if (s.id === EXPORT_SECTION && !exportsWritten) {
      parts.push(exportSection(s));
    } else {
      parts.push(bytes.subarray(s.headerStart, s.end));
    }
  }
  if (!exportsWritten) parts.push(exportSection());
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
