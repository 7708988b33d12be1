// The host functions of the FunLess ABI (docs/functions.md, "The two shapes"). Every parameter is an i32: a
// pointer or a length in the module's linear memory.

@external("fl_imps", "__get_input_data")
export declare function __get_input_data(ptr: i32): void;

@external("fl_imps", "__insert_response")
export declare function __insert_response(ptr: i32, len: i32): void;

@external("fl_imps", "__insert_error")
export declare function __insert_error(ptr: i32, len: i32): void;

@external("fl_imps", "__console_log")
export declare function __console_log(ptr: i32, len: i32): void;

@external("fl_imps", "__http_request")
export declare function __http_request(
  respPtr: i32,
  respLenPtr: i32,
  statusPtr: i32,
  method: i32,
  uriPtr: i32,
  uriLen: i32,
  headersPtr: i32,
  headersLen: i32,
  bodyPtr: i32,
  bodyLen: i32,
): void;

@external("wasi_snapshot_preview1", "random_get")
export declare function random_get(ptr: i32, len: i32): i32;

/** Hands `text` to the host as the invocation's JSON result. */
export function insertResponse(text: string): void {
  const bytes = String.UTF8.encode(text);
  __insert_response(<i32>changetype<usize>(bytes), bytes.byteLength);
}

/** Hands `text` to the host as the invocation's error message. */
export function insertError(text: string): void {
  const bytes = String.UTF8.encode(text);
  __insert_error(<i32>changetype<usize>(bytes), bytes.byteLength);
}

/** Hands one log line to the host. */
export function consoleLog(text: string): void {
  const bytes = String.UTF8.encode(text);
  __console_log(<i32>changetype<usize>(bytes), bytes.byteLength);
}
