import { ErrorCode } from '@funless/protocol';

import { GuestFault } from './invocation-state.js';

/**
 * A host call was given a range outside the guest's memory. It is a `trap` when it ends the
 * invocation (`fl_imps`); WASI functions answer `EFAULT` instead, as POSIX would.
 */
export class GuestMemoryFault extends GuestFault {
  constructor(what: string, start: number, length: number) {
    super(ErrorCode.Trap, `memory access out of bounds: ${what} (${start}+${length})`);
  }
}

/** A guest i32 read as unsigned: what a pointer or a length means to the guest. */
export function unsigned(value: number): number {
  return value < 0 ? value + 2 ** 32 : value;
}

/**
 * The guest's memory as host functions see it. Guest pointers and lengths are i32 values, which
 * JavaScript receives as signed numbers: everything above 2 GiB arrives negative. Every access
 * goes through {@link GuestMemory.offset}, which reads them as unsigned and checks the range: the
 * one bounds check of both `fl_imps` and WASI. Take a new one per host call: a grown memory has a
 * new buffer.
 */
export class GuestMemory {
  readonly buffer: ArrayBuffer;
  #view: DataView | undefined;

  constructor(memory: WebAssembly.Memory) {
    this.buffer = memory.buffer;
  }

  /** Made on first use: most `fl_imps` calls only need `bytes`. */
  private get view(): DataView {
    return (this.#view ??= new DataView(this.buffer));
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /**
   * The offset of `ptr`, once `[ptr, ptr + len)` is known to lie inside the memory. `ptr` and `len`
   * are guest values as they arrive (negative above 2 GiB) or unsigned numbers such as
   * `unsigned(ptr) + 8`: add field offsets to the unsigned value, never to the raw one.
   */
  offset(ptr: number, len: number, what = 'a host call'): number {
    const start = unsigned(ptr);
    const length = unsigned(len);
    if (start + length > this.buffer.byteLength) throw new GuestMemoryFault(what, start, length);
    return start;
  }

  /** A view of `len` bytes at `ptr` (no copy). */
  bytes(ptr: number, len: number, what?: string): Uint8Array {
    return new Uint8Array(this.buffer, this.offset(ptr, len, what), unsigned(len));
  }

  getU32(ptr: number, what?: string): number {
    return this.view.getUint32(this.offset(ptr, 4, what), true);
  }

  getU64(ptr: number, what?: string): bigint {
    return this.view.getBigUint64(this.offset(ptr, 8, what), true);
  }

  getU16(ptr: number, what?: string): number {
    return this.view.getUint16(this.offset(ptr, 2, what), true);
  }

  getU8(ptr: number, what?: string): number {
    return this.view.getUint8(this.offset(ptr, 1, what));
  }

  setU8(ptr: number, value: number, what?: string): void {
    this.view.setUint8(this.offset(ptr, 1, what), value);
  }

  setU16(ptr: number, value: number, what?: string): void {
    this.view.setUint16(this.offset(ptr, 2, what), value, true);
  }

  setU32(ptr: number, value: number, what?: string): void {
    this.view.setUint32(this.offset(ptr, 4, what), value, true);
  }

  setU64(ptr: number, value: bigint, what?: string): void {
    this.view.setBigUint64(this.offset(ptr, 8, what), value, true);
  }
}
