/**
 * `(module (memory 1) (func (export "run")))`: compiled once when a runtime or a thread starts, so
 * that the Wasm engine's own start-up (tens of ms the first time) is not billed to the first
 * function's cold start or time limit.
 */
export const WARM_UP_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 7, 1, 3, 114, 117, 110, 0, 0,
  10, 4, 1, 2, 0, 11,
]);
