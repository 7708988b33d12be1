import { BinaryReader } from './binary-reader.js';
import { Section, type WasmModule } from './read-module.js';

const MEMARG_OPS = new Set<number>();
for (let op = 0x28; op <= 0x3e; op++) MEMARG_OPS.add(op);
const U32_OPS = new Set([
  0x0c, 0x0d, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0xd2, 0x07, 0x08, 0x09, 0x18,
]);
const TABLE_WRITE_FC = new Set([12, 14, 15, 17]);

/**
 * False only when the module's code provably contains no instruction that writes a table
 * (`table.set/grow/fill/copy/init`): then its tables need no snapshot. Decodes every function
 * body; true on any opcode it does not know, so that an unknown extension can only make the
 * runtime more careful.
 */
export function mayWriteTables(bytes: Uint8Array, module: WasmModule): boolean {
  const code = module.sections.find((s) => s.id === Section.Code);
  return code ? codeWritesTables(new BinaryReader(bytes, code.start, code.end)) : false;
}

function codeWritesTables(r: BinaryReader): boolean {
  try {
    const n = r.u32();
    for (let f = 0; f < n; f++) {
      const size = r.u32();
      const end = r.offset + size;
      const locals = r.u32();
      for (let i = 0; i < locals; i++) {
        r.u32();
        r.u8();
      }
      while (r.offset < end) {
        const op = r.u8();
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
        else if (op === 0xd0) r.u8();
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
            r.u8();
          } else if (sub === 12 || sub === 13) r.skip(16);
          else if (sub >= 21 && sub <= 34) r.u8();
        } else if (op === 0xfe) {
          const sub = r.u32();
          if (sub === 3) r.u8();
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
      r.seek(end);
    }
    return false;
  } catch {
    return true;
  }
}
