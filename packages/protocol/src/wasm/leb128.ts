/** `value` (a non-negative integer) as unsigned LEB128, the way the binary format writes counts and sizes. */
export function unsignedLeb128(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** `value` (an integer) as signed LEB128, the way the binary format writes `i32.const` operands. */
export function signedLeb128(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (b & 0x40) === 0) || (value === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A whole section: its id, the size of `content` as unsigned LEB128, then `content`. */
export function encodeSection(id: number, content: number[] | Uint8Array): Uint8Array {
  const size = unsignedLeb128(content.length);
  const out = new Uint8Array(1 + size.length + content.length);
  out[0] = id;
  out.set(size, 1);
  out.set(content, 1 + size.length);
  return out;
}
