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
