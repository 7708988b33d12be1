import type { HttpOptions } from '../runtime-options.js';
import type { HttpCall } from '../thread/messages.js';
import type { HttpAnswer } from './http-bridge.js';

const encoder = new TextEncoder();
const failure = (reason: string): HttpAnswer => ({ status: 0, bytes: encoder.encode(reason) });

/** True when `url`'s host is on the allow-list (empty list: every host). */
export function hostAllowed(url: URL, allowList: readonly string[]): boolean {
  if (allowList.length === 0) return true;
  const hostname = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const host = url.host.toLowerCase();
  return allowList.some((entry) => {
    if (entry.startsWith('*.')) return hostname.endsWith(entry.slice(1));
    return entry === hostname || entry === host;
  });
}

/**
 * Performs a guest's HTTP request on the main thread's event loop, within the settings: off, not
 * allowed, time limit and size cap all fail with status 0 and a reason for the logs. Redirects are
 * not followed, so a guest cannot leave the allow-list through one.
 */
export async function performHttp(
  call: HttpCall,
  options: HttpOptions,
  cancel?: AbortSignal,
): Promise<HttpAnswer> {
  if (!options.enabled) return failure('outbound HTTP is turned off on this Worker');
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    return failure(`not a valid URL: ${call.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return failure(`only http and https URLs are allowed, not ${url.protocol}`);
  if (!hostAllowed(url, options.allowList)) return failure(`host ${url.host} is not on the HTTP allow-list`);
  const limit = Math.min(options.maxResponseBytes, call.room);
  const timeoutMs = Math.max(1, Math.min(options.timeoutMs, call.deadline - Date.now()));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onCancel = () => controller.abort();
  cancel?.addEventListener('abort', onCancel);
  let tooLarge = false;
  try {
    const headers = new Headers();
    for (const [k, v] of call.headers) headers.append(k, v);
    const response = await fetch(url, {
      method: call.method,
      headers,
      body: call.body && call.method !== 'GET' ? call.body : null,
      redirect: 'manual',
      signal: controller.signal,
    });
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > limit) {
          tooLarge = true;
          controller.abort();
          break;
        }
        chunks.push(chunk);
      }
    }
    if (tooLarge) return failure(`response body larger than ${limit} bytes`);
    const body = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      body.set(c, offset);
      offset += c.length;
    }
    return { status: response.status, bytes: body };
  } catch (err) {
    if (tooLarge) return failure(`response body larger than ${limit} bytes`);
    if (controller.signal.aborted) return failure(`request to ${url.host} took longer than ${timeoutMs} ms`);
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return failure(`request to ${url.host} failed: ${cause ?? (err as Error).message}`);
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  }
}
