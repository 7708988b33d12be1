/**
 * The Worker's rewrite of a function binary, on top of the shared reader (`readModule` in
 * `@funless/protocol`): memory 0's maximum lowered to the capacity, and the runtime's exports
 * added (see `runtimeExports`).
 */
import {
  BinaryReader,
  encodeSection,
  runtimeExports,
  Section,
  unsignedLeb128,
  type WasmModule,
  type WasmSection,
} from '@funless/protocol';

/** Position of each known section in the order the binary format requires. */
const SECTION_ORDER: Record<number, number> = {
  [Section.Type]: 1,
  [Section.Import]: 2,
  [Section.Function]: 3,
  [Section.Table]: 4,
  [Section.Memory]: 5,
  [Section.Tag]: 6,
  [Section.Global]: 7,
  [Section.Export]: 8,
  [Section.Start]: 9,
  [Section.Element]: 10,
  [Section.DataCount]: 11,
  [Section.Code]: 12,
  [Section.Data]: 13,
};

function encodeName(name: string): number[] {
  const bytes = new TextEncoder().encode(name);
  return [...unsignedLeb128(bytes.length), ...bytes];
}

/**
 * Returns a copy of the module with memory 0's maximum lowered to `maxPages` (the module's own
 * maximum is kept when it is lower) and the runtime's exports added. The caller has checked the
 * module with `checkFunction` (one memory of its own, room for the exports).
 */
export function rewriteWasm(bytes: Uint8Array, module: WasmModule, maxPages: number): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  const extra = runtimeExports(module).flatMap((e) => [
    ...encodeName(e.name),
    e.kind,
    ...unsignedLeb128(e.index),
  ]);
  let exportsWritten = false;
  const exportSection = (existing?: WasmSection): Uint8Array => {
    let count = runtimeExports(module).length;
    let body: Uint8Array = new Uint8Array(0);
    if (existing) {
      const r = new BinaryReader(bytes, existing.start, existing.end);
      count += r.u32();
      body = bytes.subarray(r.offset, existing.end);
    }
    exportsWritten = true;
    return encodeSection(Section.Export, [...unsignedLeb128(count), ...body, ...extra]);
  };
  for (const s of module.sections) {
    const rank = SECTION_ORDER[s.id];
    if (!exportsWritten && rank !== undefined && rank > SECTION_ORDER[Section.Export]!) {
      parts.push(exportSection());
    }
    if (s.id === Section.Memory) {
      const r = new BinaryReader(bytes, s.start, s.end);
      const n = r.u32();
      const content: number[] = [...unsignedLeb128(n)];
      for (let i = 0; i < n; i++) {
        const { flags, min, max } = r.limits();
        const newMax = i === 0 ? Math.min(max ?? Infinity, maxPages) : max;
        content.push(newMax === undefined ? flags : flags | 1, ...unsignedLeb128(min));
        if (newMax !== undefined) content.push(...unsignedLeb128(newMax));
      }
      parts.push(encodeSection(Section.Memory, content));
    } else if (s.id === Section.Export && !exportsWritten) {
      parts.push(exportSection(s));
    } else {
      parts.push(bytes.subarray(s.headerStart, s.end));
    }
  }
  if (!exportsWritten) parts.push(exportSection());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
