import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

import { CHAIN_DEPTH_HEADER } from '@funless/protocol';

import type { HttpOptions } from '../runtime-options.js';
import type { HttpCall } from '../thread/messages.js';
import { AddressPolicy } from './address-policy.js';
import type { HttpAnswer } from './http-bridge.js';

const encoder = new TextEncoder();
const failure = (reason: string): HttpAnswer => ({ status: 0, bytes: encoder.encode(reason) });

/** How host names are resolved: `dns.lookup`'s shape, asked for every address. */
export type Resolver = (
  hostname: string,
  callback: (err: Error | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, callback) =>
  dnsLookup(hostname, { all: true }, (err, addresses) => callback(err, addresses ?? []));

/**
 * One policy per allow-list (the resolved options keep theirs for the runtime's life), with its own
 * keep-alive agents: a pooled connection was checked under this policy when it was opened, so it
 * is reused only by requests judged by the same one.
 */
interface Outbound {
  policy: AddressPolicy;
  http: HttpAgent;
  https: HttpsAgent;
}
const outbound = new WeakMap<readonly string[], Outbound>();
function outboundOf(allowList: readonly string[]): Outbound {
  let o = outbound.get(allowList);
  if (!o) {
    o = {
      policy: new AddressPolicy(allowList),
      http: new HttpAgent({ keepAlive: true }),
      https: new HttpsAgent({ keepAlive: true }),
    };
    outbound.set(allowList, o);
  }
  return o;
}

/** A refusal raised inside the connection's lookup, so the reason is told apart from network errors. */
class Refused extends Error {}

/**
 * The connection's `lookup`: resolves the name once, checks every address it has, and hands the
 * socket those same addresses, so what was checked is what is connected to (no second resolution
 * a rebinding DNS server could answer differently).
 */
function checkedLookup(url: URL, policy: AddressPolicy, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (err, found) => {
      if (err) return callback(err, '', 0);
      const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
      const addresses = found.filter((a) => wanted === 0 || a.family === wanted);
      if (addresses.length === 0) return callback(new Error(`${hostname} has no address`), '', 0);
      for (const a of addresses) {
        const refusal = policy.refusal(url, a.address);
        if (refusal) return callback(new Refused(refusal), '', 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** What {@link performHttp} takes besides the call and the settings. */
export interface PerformHttpExtras {
  /** Aborts the request (the runtime closes). */
  cancel?: AbortSignal;
  /**
   * Depth of the call chain of the invocation making the request: the request carries
   * `X-Fl-Chain-Depth: chainDepth + 1`, whatever the guest set. @default 0
   */
  chainDepth?: number;
  /** How host names are resolved. @default the system's resolver */
  resolve?: Resolver;
}

/**
 * Performs a guest's HTTP request on the main thread's event loop, within the settings: off, not
 * allowed, time limit and size cap all fail with status 0 and a reason for the logs. The address
 * connected to is checked by {@link AddressPolicy} (public only unless the allow-list opens it).
 * Redirects are not followed, so a guest cannot leave the allow-list through one. Every request
 * carries the invocation's chain depth plus one, so that a Core that the guest calls knows how deep
 * the chain of functions calling functions is (docs/runtime.md, "Functions calling functions").
 */
export async function performHttp(
  call: HttpCall,
  options: HttpOptions,
  extras: PerformHttpExtras = {},
): Promise<HttpAnswer> {
  const { cancel, chainDepth = 0, resolve = systemResolver } = extras;
  if (!options.enabled) return failure('outbound HTTP is turned off on this Worker');
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    return failure(`not a valid URL: ${call.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return failure(`only http and https URLs are allowed, not ${url.protocol}`);
  const { policy, ...agents } = outboundOf(options.allowList);
  // The URL parser has already turned every spelling of an IPv4 address (127.1, 0x7f.0.0.1,
  // 2130706433, 0177.0.0.1) into dotted decimal; sockets connect to a literal without a lookup.
  const literal = url.hostname.replace(/^\[([^\]]*)\]$/, '$1');
  if (isIP(literal)) {
    const refusal = policy.refusal(url, literal);
    if (refusal) return failure(refusal);
  }
  const limit = Math.min(options.maxResponseBytes, call.room);
  const timeoutMs = Math.max(1, Math.min(options.timeoutMs, call.deadline - Date.now()));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onCancel = () => controller.abort();
  cancel?.addEventListener('abort', onCancel);
  try {
    return await new Promise<HttpAnswer>((done) => {
      let tooLarge = false;
      const fail = (err: Error) => {
        if (tooLarge) return done(failure(`response body larger than ${limit} bytes`));
        if (err instanceof Refused) return done(failure(err.message));
        if (controller.signal.aborted)
          return done(failure(`request to ${url.host} took longer than ${timeoutMs} ms`));
        done(failure(`request to ${url.host} failed: ${err.message}`));
      };
      const headers: OutgoingHttpHeaders = {};
      for (const [k, v] of call.headers) {
        const key = k.toLowerCase();
        const had = headers[key];
        headers[key] = had === undefined ? v : [...(Array.isArray(had) ? had : [String(had)]), v];
      }
      // Set by the Worker only: a guest cannot make its chain look shorter.
      headers[CHAIN_DEPTH_HEADER] = String(chainDepth + 1);
      const body = call.body && call.method !== 'GET' ? call.body : undefined;
      if (body && headers['content-length'] === undefined) headers['content-length'] = body.length;
      let req;
      try {
        const https = url.protocol === 'https:';
        req = (https ? httpsRequest : httpRequest)(url, {
          method: call.method,
          headers,
          lookup: checkedLookup(url, policy, resolve),
          signal: controller.signal,
          agent: https ? agents.https : agents.http,
        });
      } catch (err) {
        return fail(err as Error);
      }
      req.on('error', fail);
      req.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let total = 0;
        response.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > limit) {
            tooLarge = true;
            response.destroy();
            req.destroy();
            return done(failure(`response body larger than ${limit} bytes`));
          }
          chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('close', () => {
          if (!response.complete) fail(new Error('the connection closed before the response ended'));
        });
        response.on('end', () => done({ status: response.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
      });
      req.end(body);
    });
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  }
}
