/** Messages between the runtime (main thread) and its invocation threads. */
import type { ErrorPayload } from '@funless/protocol';

import type { ModuleMeta } from '../module/analyse-module.js';

/** Fixed settings of one invocation thread, passed as `workerData`. */
export interface ThreadConfig {
  maxOutputBytes: number;
  maxLogBytes: number;
  /** Control words and body of the HTTP bridge (see `http-bridge.ts`). */
  httpBuffer: SharedArrayBuffer;
}

export interface InvokeTask {
  type: 'invoke';
  id: number;
  /** `<hash>/<capacity pages>`: the thread's key for the module and its instances. */
  key: string;
  /** Sent only when the thread does not hold the module yet. */
  module?: WebAssembly.Module;
  meta?: ModuleMeta;
  /** Linear-memory cap, in bytes. */
  capBytes: number;
  input: string;
  /** `Date.now()` at which the invocation's time limit ends (bounds HTTP waits). */
  deadline: number;
  /** Modules the thread must forget (the main thread's per-thread LRU dropped them). */
  evict?: string[];
}

export interface EvictTask {
  type: 'evict';
  keys: string[];
}

export type ToThread = InvokeTask | EvictTask;

export interface InvokeReply {
  type: 'result';
  id: number;
  /** The raw result text on success. */
  result?: string;
  error?: ErrorPayload;
  logs: string[];
  durationMs: number;
}

/** A guest's `__http_request`, performed by the main thread while the guest waits. */
export interface HttpCall {
  type: 'http';
  /** Sequence number the answer must carry (see the bridge's control word). */
  seq: number;
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array | undefined;
  /** Room for the body in the guest's memory, in bytes. */
  room: number;
  deadline: number;
}

/** Sent once when the thread has loaded and listens for tasks. */
export interface ReadyNotice {
  type: 'ready';
}

export type FromThread = InvokeReply | HttpCall | ReadyNotice;
