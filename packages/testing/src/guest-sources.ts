/**
 * Small guests written as WAT text, for the tests of what passes through the platform untouched
 * (inputs, results, error messages), on both sides of the link.
 */

/** A FunLess-ABI function answering its input, byte for byte. */
export const ECHO_WAT = `(module
  (import "fl_imps" "__get_input_data" (func $input (param i32)))
  (import "fl_imps" "__insert_response" (func $response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__invoke") (param $len i32) (result i32)
    (call $input (i32.const 0))
    (call $response (i32.const 0) (local.get $len))
    (i32.const 0)))`;

/**
 * A function answering (with `__insert_response`) or failing with (`__insert_error`) `bytes`
 * bytes of `fill`, between double quotes if `quoted`.
 */
export function fillWat(
  insert: '__insert_response' | '__insert_error',
  fill: number,
  bytes: number,
  quoted = false,
): string {
  const pages = Math.ceil(bytes / 65_536) + 1;
  const quotes = quoted
    ? `
    (i32.store8 (i32.const 0) (i32.const 34))
    (i32.store8 (i32.const ${bytes - 1}) (i32.const 34))`
    : '';
  return `(module
  (import "fl_imps" "${insert}" (func $out (param i32 i32)))
  (memory (export "memory") ${pages})
  (func (export "__invoke") (param i32) (result i32)
    (memory.fill (i32.const 0) (i32.const ${fill}) (i32.const ${bytes}))${quotes}
    (call $out (i32.const 0) (i32.const ${bytes}))
    (i32.const ${insert === '__insert_response' ? 0 : 1})))`;
}
