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

/** A WAT string literal of any text: every byte escaped as `\hh`. */
function watString(text: string): string {
  return `"${[...Buffer.from(text)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')}"`;
}

/**
 * A function that makes one GET request to `url` with `headers` (`Name: value` lines) and then
 * either answers the response body as its result (`null` when the request failed), or, with
 * `then: 'loop'`, loops until its time limit stops it. The URL and headers are part of the code.
 */
export function httpGetWat(
  url: string,
  options: { headers?: string; then?: 'answer' | 'loop' } = {},
): string {
  const { headers = '', then = 'answer' } = options;
  const urlBytes = Buffer.byteLength(url);
  const headerBytes = Buffer.byteLength(headers);
  if (urlBytes > 4000 || headerBytes > 4000) throw new Error('httpGetWat: url and headers up to 4000 bytes');
  const after =
    then === 'loop'
      ? '(loop $forever (br $forever))'
      : `(if (i32.eqz (i32.load16_u (i32.const 8196)))
      (then (call $response (i32.const 8200) (i32.const 4)))
      (else (call $response (i32.const 65536) (i32.load (i32.const 8192)))))`;
  // url at 0, headers at 4096, response length (u32) at 8192 and status (u16) at 8196, "null" at
  // 8200, the response body from 65536 (64 KiB of room, declared in the length word).
  return `(module
  (import "fl_imps" "__http_request"
    (func $http (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "fl_imps" "__insert_response" (func $response (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) ${watString(url)})
  (data (i32.const 4096) ${watString(headers)})
  (data (i32.const 8200) "null")
  (func (export "__invoke") (param i32) (result i32)
    (i32.store (i32.const 8192) (i32.const 65536))
    (call $http (i32.const 65536) (i32.const 8192) (i32.const 8196) (i32.const 0)
      (i32.const 0) (i32.const ${urlBytes}) (i32.const 4096) (i32.const ${headerBytes})
      (i32.const 0) (i32.const 0))
    ${after}
    (i32.const 0)))`;
}
