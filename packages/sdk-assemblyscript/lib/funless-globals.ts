// Globals that `fl fn build` puts in place of the ones AssemblyScript imports from the host
// environment ("env"), which the platform does not provide (it only provides fl_imps and WASI):
// built with `--lib` on this folder and `--use abort=fl_abort --use trace=fl_trace --use seed=fl_seed`.

@external("fl_imps", "__insert_error")
declare function fl_insert_error(ptr: i32, len: i32): void;

@external("fl_imps", "__console_log")
declare function fl_console_log(ptr: i32, len: i32): void;

@external("wasi_snapshot_preview1", "random_get")
declare function fl_random_get(ptr: i32, len: i32): i32;

function fl_emit_log(text: string): void {
  const bytes = String.UTF8.encode(text);
  fl_console_log(<i32>changetype<usize>(bytes), bytes.byteLength);
}

/** A failed assertion or `throw`: reported as the invocation's error, then the guest traps. */
@global
export function fl_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = message != null ? message : "abort";
  if (fileName != null) text += " (" + fileName + ":" + line.toString() + ":" + column.toString() + ")";
  fl_emit_log(text);
  const bytes = String.UTF8.encode(text);
  fl_insert_error(<i32>changetype<usize>(bytes), bytes.byteLength);
  unreachable();
}

/** `trace(...)` goes to the invocation's logs. */
@global
export function fl_trace(
  message: string,
  n: i32 = 0,
  a0: f64 = 0,
  a1: f64 = 0,
  a2: f64 = 0,
  a3: f64 = 0,
  a4: f64 = 0,
): void {
  let text = message;
  if (n > 0) text += " " + a0.toString();
  if (n > 1) text += " " + a1.toString();
  if (n > 2) text += " " + a2.toString();
  if (n > 3) text += " " + a3.toString();
  if (n > 4) text += " " + a4.toString();
  fl_emit_log(text);
}

/** Seeds `Math.random` from WASI's random source. */
@global
export function fl_seed(): f64 {
  const buffer = new ArrayBuffer(8);
  fl_random_get(<i32>changetype<usize>(buffer), 8);
  return <f64>load<u64>(changetype<usize>(buffer));
}
