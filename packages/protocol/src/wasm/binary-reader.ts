import { WasmFormatError } from './wasm-format-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Limits of a memory or a table, as the binary declares them. */
export interface Limits {
  /** The raw flags byte: bit 0 a maximum is present, bit 1 shared, bit 2 64-bit. */
  flags: number;
  min: number;
  max: number | undefined;
}

/** Reads the primitive encodings of the WebAssembly binary format, bounds-checked. */
export class BinaryReader {
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.byteLength,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Moves to `offset`, which must lie inside the reader's range. */
  seek(offset: number): void {
    if (offset > this.end) throw new WasmFormatError('unexpected end of data', this.end);
    this.pos = offset;
  }

  u8(): number {
    if (this.pos >= this.end) throw new WasmFormatError('unexpected end of data', this.pos);
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    const at = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (result > 0xffff_ffff) throw new WasmFormatError('integer too large', at);
        return result;
      }
    }
    throw new WasmFormatError('integer too long', at);
  }

  /** Unsigned LEB128 up to 64 bits, as a number (exact up to 2^53). */
  u64(): number {
    const at = this.pos;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new WasmFormatError('integer too long', at);
  }

  /** Signed LEB128 up to 32 bits. */
  s32(): number {
    const at = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (byte & 0x40) result -= 2 ** (shift + 7);
        if (result < -(2 ** 31) || result >= 2 ** 31) throw new WasmFormatError('integer too large', at);
        return result;
      }
    }
    throw new WasmFormatError('integer too long', at);
  }

  /** Skips a signed LEB128 of any width up to 64 bits. */
  skipLeb(): void {
    const at = this.pos;
    for (let i = 0; i < 10; i++) if ((this.u8() & 0x80) === 0) return;
    throw new WasmFormatError('integer too long', at);
  }

  bytesOf(length: number): Uint8Array {
    if (length > this.end - this.pos) throw new WasmFormatError('unexpected end of data', this.pos);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(length: number): void {
    this.bytesOf(length);
  }

  /** A length-prefixed UTF-8 name. */
  name(): string {
    const at = this.pos;
    const raw = this.bytesOf(this.u32());
    try {
      return utf8.decode(raw);
    } catch {
      throw new WasmFormatError('name is not valid UTF-8', at);
    }
  }

  /** Memory or table limits; 64-bit ones (flag bit 2) have 64-bit bounds. */
  limits(): Limits {
    const at = this.pos;
    const flags = this.u8();
    if (flags > 0x07) throw new WasmFormatError(`unknown limits flags 0x${flags.toString(16)}`, at);
    const read = (flags & 0x04) !== 0 ? () => this.u64() : () => this.u32();
    const min = read();
    const max = (flags & 0x01) !== 0 ? read() : undefined;
    return { flags, min, max };
  }

  /**
   * Reads a segment's offset expression: its value when it is a plain `i32.const` (read as
   * unsigned, as an address), undefined for any other expression (skipped).
   */
  constOffset(): number | undefined {
    const start = this.pos;
    if (this.u8() === 0x41) {
      const value = this.s32();
      if (this.u8() === 0x0b) return value >>> 0;
    }
    this.seek(start);
    this.skipConstExpr();
    return undefined;
  }

  /** Skips a constant expression (global initialisers, segment offsets). */
  skipConstExpr(): void {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x0b: // end
          return;
        case 0x41: // i32.const
        case 0x42: // i64.const
          this.skipLeb();
          break;
        case 0x43: // f32.const
          this.skip(4);
          break;
        case 0x44: // f64.const
          this.skip(8);
          break;
        case 0x23: // global.get
        case 0xd2: // ref.func
          this.u32();
          break;
        case 0xd0: // ref.null
          this.u8();
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
          throw new WasmFormatError(`unsupported opcode 0x${op.toString(16)} in a constant expression`, at);
      }
    }
  }
}
