/** Messages between the runtime (main thread) and its invocation threads. */
import type { MessagePort } from 'node:worker_threads';

import type { ErrorPayload } from '@funless/protocol';

import type { ModuleMeta } from '../module/analyse-module.js';

/** Fixed settings of one invocation thread, passed as `workerData`. */
export interface ThreadConfig {
  maxOutputBytes: number;
  maxLogBytes: number;
  /** Polling time before sleeping between tasks, µs. */
  idleSpinUs: number;
  /**
   * One word per thread slot, shared by the whole pool: 1 while the slot's thread is awake; then one
   * word with the pool's load (invocations running or queued). A thread polls for its next task only
   * when its own was the only one and the awake threads and the main thread leave a CPU free.
   */
  awake: SharedArrayBuffer;
  /** This thread's slot in `awake`. */
  slot: number;
  /** CPUs of the machine. */
  cpus: number;
  /** Control words and body of the HTTP bridge (see `http-bridge.ts`). */
  httpBuffer: SharedArrayBuffer;
  /** Control words and data area of the task channel (see `task-channel.ts`). */
  taskBuffer: SharedArrayBuffer;
  /** Where the guest's lines go as they are written (see `log-area.ts`). */
  logBuffer: SharedArrayBuffer;
  /** Port for what does not fit the task channel. */
  port: MessagePort;
}

/** A compiled module the thread will be asked to run, under a number used in the task words. */
export interface LoadModule {
  type: 'load';
  moduleId: number;
  module: WebAssembly.Module;
  meta: ModuleMeta;
}

/** Modules the thread must forget. */
export interface EvictModules {
  type: 'evict';
  moduleIds: number[];
}

/** The input of task `id` when it is too large for the data area. */
export interface TaskInput {
  type: 'input';
  id: number;
  input: Uint8Array;
}

export type ToThread = LoadModule | EvictModules | TaskInput;

/** A reply that does not fit the fast path (an error, or a large result). Logs are in the log area. */
export interface InvokeReply {
  type: 'result';
  id: number;
  /** The raw JSON result on success, already checked to be UTF-8 JSON. */
  result?: Uint8Array;
  error?: ErrorPayload;
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

/** Sent once when the thread has loaded and waits for tasks. */
export interface ReadyNotice {
  type: 'ready';
}

/** What the thread posts on `parentPort` (the main thread's event loop handles it). */
export type FromThread = HttpCall | ReadyNotice;
