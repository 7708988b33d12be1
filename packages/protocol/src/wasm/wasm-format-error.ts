/** Raised when bytes do not follow the WebAssembly binary format. */
export class WasmFormatError extends Error {
  override readonly name = 'WasmFormatError';
  constructor(
    message: string,
    /** Where in the binary the reader found the problem. */
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}
