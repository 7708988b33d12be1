// The `__invoke` side of the FunLess ABI: read the input, run the user's handler, hand back the
// result or the error.
import { __get_input_data, insertError, insertResponse } from './imports';
import { JSON } from './json';

let failure: string | null = null;

/**
 * Makes the current invocation fail with `message` (the caller sees it as the error detail).
 * Returns a placeholder so a handler can write `return fail("...")`.
 */
export function fail(message: string): JSON.Value {
  failure = message;
  return new JSON.Null();
}

/**
 * Runs one invocation: call it from your exported `__invoke(len)` with your handler.
 * The handler gets the invocation's arguments as a JSON object and returns the result.
 * Returns the code `__invoke` must return: 0 success, 1 error.
 */
export function run(inputLength: i32, handler: (input: JSON.Obj) => JSON.Value): i32 {
  const text = readInput(inputLength);
  const parsed = text.length == 0 ? new JSON.Obj() : JSON.parse(text);
  if (parsed == null) {
    insertError('the input is not valid JSON: ' + JSON.lastError());
    return 1;
  }
  const input = parsed.asObj();
  if (input == null) {
    insertError('the input is not a JSON object');
    return 1;
  }
  failure = null;
  const result = handler(input);
  const message = failure;
  if (message != null) {
    insertError(message);
    return 1;
  }
  insertResponse(result.stringify());
  return 0;
}

/**
 * Like `run`, for a handler that works on JSON text: it gets the input as text and returns the
 * result's JSON text (not checked here; the platform refuses a result that is not JSON).
 */
export function runText(inputLength: i32, handler: (input: string) => string): i32 {
  const text = readInput(inputLength);
  failure = null;
  const result = handler(text.length == 0 ? '{}' : text);
  const message = failure;
  if (message != null) {
    insertError(message);
    return 1;
  }
  insertResponse(result);
  return 0;
}

/** The invocation's input as text: the host writes exactly `length` bytes of UTF-8. */
function readInput(length: i32): string {
  if (length <= 0) return '';
  const buffer = new ArrayBuffer(length);
  __get_input_data(<i32>changetype<usize>(buffer));
  return String.UTF8.decode(buffer);
}
