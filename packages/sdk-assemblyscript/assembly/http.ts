// Outbound HTTP through the host (`fl_imps.__http_request`).
import { __http_request } from './imports';

/** Methods the host supports, numbered as the ABI wants them. */
export const enum Method {
  GET = 0,
  POST = 1,
  PUT = 2,
  DELETE = 3,
}

/**
 * Room for the response body, in bytes. The SDK declares it to the host (the u32 at
 * `resp_len_ptr` on entry), which never writes more: a longer body answers status 0.
 * Override with `http.setMaxResponseBytes`.
 * @default 1 MiB
 */
let maxResponseBytes: i32 = 1 << 20;

export class Response {
  constructor(
    /** HTTP status; 0 when the request failed (no connection, bad URL, timeout). */
    public status: i32,
    /** The body decoded as UTF-8. */
    public body: string,
  ) {}

  get ok(): bool {
    return this.status >= 200 && this.status < 300;
  }
}

export namespace http {
  /** Sets the response room in bytes (see `maxResponseBytes`). */
  export function setMaxResponseBytes(bytes: i32): void {
    maxResponseBytes = bytes;
  }

  /**
   * Sends one request. `headers` are `Key:Value` pairs, e.g. `["Content-Type:application/json"]`.
   */
  export function request(method: Method, url: string, headers: string[] = [], body: string = ''): Response {
    const uri = String.UTF8.encode(url);
    const hdr = String.UTF8.encode(headers.join('\n'));
    const payload = String.UTF8.encode(body);
    const response = new ArrayBuffer(maxResponseBytes);
    const meta = new ArrayBuffer(8); // body length u32 at 0, status u16 at 4
    const metaPtr = <i32>changetype<usize>(meta);
    store<u32>(metaPtr, <u32>maxResponseBytes);
    __http_request(
      <i32>changetype<usize>(response),
      metaPtr,
      metaPtr + 4,
      <i32>method,
      <i32>changetype<usize>(uri),
      uri.byteLength,
      <i32>changetype<usize>(hdr),
      hdr.byteLength,
      <i32>changetype<usize>(payload),
      payload.byteLength,
    );
    const status = <i32>load<u16>(metaPtr + 4);
    let length = <i32>load<u32>(metaPtr);
    if (length > maxResponseBytes) length = maxResponseBytes;
    return new Response(status, String.UTF8.decode(response.slice(0, length)));
  }

  export function get(url: string, headers: string[] = []): Response {
    return request(Method.GET, url, headers);
  }

  export function post(url: string, body: string, headers: string[] = []): Response {
    return request(Method.POST, url, headers, body);
  }

  export function put(url: string, body: string, headers: string[] = []): Response {
    return request(Method.PUT, url, headers, body);
  }

  export function del(url: string, headers: string[] = []): Response {
    return request(Method.DELETE, url, headers);
  }
}
