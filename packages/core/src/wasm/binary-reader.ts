/** Raised when bytes do not follow the WebAssembly binary format. */
export class WasmFormatError extends Error {
  override readonly name = 'WasmFormatError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

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

  u8(): number {
    if (this.pos >= this.end) throw new WasmFormatError('unexpected end of data', this.pos);
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (result > 0xffff_ffff) throw new WasmFormatError('integer too large', this.pos);
        return result;
      }
      shift += 7;
    }
    throw new WasmFormatError('integer too long', this.pos);
  }

  /** Unsigned LEB128 up to 64 bits, as a number (exact up to 2^53). */
  u64(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    throw new WasmFormatError('integer too long', this.pos);
  }

  bytesOf(length: number): Uint8Array {
    if (length > this.end - this.pos) throw new WasmFormatError('unexpected end of data', this.pos);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
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

  skip(length: number): void {
    this.bytesOf(length);
  }
}
