import { ErrorCode, HTTP_METHODS, INVOCATION_LIMITS, LogStream } from '@funless/protocol';

import type { HttpBridgeClient } from '../http/http-bridge.js';
import type { HttpCall } from './messages.js';
import { GuestMemory, unsigned } from './guest-memory.js';
import { GuestFault, type InvocationState } from './invocation-state.js';

const decoder = new TextDecoder();

/** Bytes of guest memory; a range outside it ends the invocation with `trap`. */
function guestBytes(s: InvocationState, ptr: number, len: number, what: string): Uint8Array {
  return new GuestMemory(s.memory).bytes(ptr, len, what);
}

/**
 * The `fl_imps` host functions of the FunLess ABI (docs/functions.md, "The two shapes"). `post` sends an HTTP call
 * to the main thread; the bridge blocks this thread until the answer or the deadline.
 */
export function flImports(
  state: () => InvocationState,
  bridge: HttpBridgeClient,
  post: (call: HttpCall) => void,
): Record<string, (...args: number[]) => void> {
  return {
    __get_input_data(ptr: number) {
      const s = state();
      guestBytes(s, ptr, s.input.length, '__get_input_data').set(s.input);
    },
    __insert_response(ptr: number, len: number) {
      const s = state();
      if (unsigned(len) > s.maxOutputBytes) {
        throw new GuestFault(
          ErrorCode.ResultTooLarge,
          `the function's result of ${unsigned(len)} bytes is larger than the result limit of ${s.maxOutputBytes} bytes`,
        );
      }
      s.response = guestBytes(s, ptr, len, '__insert_response').slice();
    },
    __insert_error(ptr: number, len: number) {
      const s = state();
      // Kept up to a bound (and cut with a mark later), so that the error always reaches the caller.
      const bytes = guestBytes(s, ptr, len, '__insert_error');
      s.error = bytes.slice(0, INVOCATION_LIMITS.maxErrorMessageBytes);
      s.errorBytes = bytes.length;
    },
    __console_log(ptr: number, len: number) {
      const s = state();
      // Never decode more than the logs can still hold: a guest may pass a huge length.
      const bytes = guestBytes(s, ptr, len, '__console_log');
      s.logs.add(LogStream.Console, decoder.decode(bytes.subarray(0, s.logs.maxBytes + 1)));
    },
    __http_request(
      respPtr: number,
      respLenPtr: number,
      statusPtr: number,
      method: number,
      uriPtr: number,
      uriLen: number,
      hdrPtr: number,
      hdrLen: number,
      bodyPtr: number,
      bodyLen: number,
    ) {
      const s = state();
      // Where the status and length go must be valid before anything else happens.
      const entry = new GuestMemory(s.memory);
      entry.offset(statusPtr, 2, '__http_request status');
      const declared = entry.getU32(respLenPtr, '__http_request length');
      const fail = (reason: string) => {
        s.logs.add(LogStream.Stderr, `http: ${reason}`);
        const mem = new GuestMemory(s.memory);
        mem.setU16(statusPtr, 0);
        mem.setU32(respLenPtr, 0);
      };
      const name = HTTP_METHODS[method];
      if (name === undefined) return fail(`unknown method number ${method} (0 GET, 1 POST, 2 PUT, 3 DELETE)`);
      const url = decoder.decode(guestBytes(s, uriPtr, uriLen, '__http_request uri'));
      const headers: [string, string][] = [];
      for (const line of decoder
        .decode(guestBytes(s, hdrPtr, hdrLen, '__http_request headers'))
        .split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
      }
      const body = bodyLen !== 0 ? guestBytes(s, bodyPtr, bodyLen, '__http_request body').slice() : undefined;
      // A non-zero length on entry is the size of the guest's buffer; zero (what FunLess's SDKs
      // pass) means "up to the end of memory": either way no byte lands outside the guest.
      const toEnd = s.memory.buffer.byteLength - unsigned(respPtr);
      if (toEnd < 0) return fail('response pointer outside memory');
      const room = declared > 0 ? Math.min(declared, toEnd) : toEnd;
      const seq = bridge.begin();
      post({ type: 'http', seq, method: name, url, headers, body, room, deadline: s.deadline });
      const answer = bridge.wait(s.deadline);
      if (!answer) return fail(`no answer from ${url} before the invocation's time limit`);
      if (answer.status === 0) return fail(decoder.decode(answer.bytes));
      if (answer.bytes.length > room)
        return fail(`response of ${answer.bytes.length} bytes does not fit in ${room} bytes`);
      const mem = new GuestMemory(s.memory);
      mem.bytes(respPtr, answer.bytes.length, '__http_request response').set(answer.bytes);
      mem.setU16(statusPtr, answer.status);
      mem.setU32(respLenPtr, answer.bytes.length);
    },
  };
}
