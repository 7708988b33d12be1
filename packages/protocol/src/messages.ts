/**
 * The Core↔Worker link protocol: every message either side may send, as discriminated unions on
 * `type`. Requests carry an `id` (unique per connection and direction) that the answer repeats.
 * How messages become bytes is in `frame.ts`; the handshake proofs are in `link-auth.ts`. Fields typed
 * `Uint8Array` (code, an invocation's input and result) travel as raw bytes in the frame's binary
 * tail, never as JSON.
 *
 * Handshake: the Worker opens the connection; the Core sends `challenge`; the Worker answers
 * `join` with an HMAC proof of the cluster secret over both nonces; the Core answers
 * `join_accepted` with its own proof (so the Worker knows the Core has the secret too) or
 * `join_refused` and closes. Nothing else may be sent before the join is accepted.
 */
import { MIB } from './abi.js';
import type { ErrorPayload } from './errors.js';
import type { LogLine } from './log-lines.js';

/** Version of this protocol; both sides refuse a peer speaking another. */
export const LINK_PROTOCOL_VERSION = 4;

/** Path of the link's WebSocket endpoint on the Core's HTTP server. */
export const LINK_PATH = '/v1/link';

/** Size bounds of one frame, in bytes. */
export const LINK_LIMITS = {
  /** The JSON header: every field but the binary one (names, errors, function lists). @default 8 MiB */
  maxHeaderBytes: 8 * MIB,
  /** The binary tail: a function's code, an invocation's input or its result. @default 64 MiB */
  maxPayloadBytes: 64 * MIB,
} as const;

/**
 * Size bounds of one invocation, in bytes. Input is checked where it enters (the Core's HTTP
 * route: 413 `too_large`), the result where it leaves the guest (the Worker: 422
 * `result_too_large`); both then travel as bytes, well inside the frame's binary tail.
 */
export const INVOCATION_LIMITS = {
  /** The JSON of an invocation's `args`. @default 6 MiB */
  maxInputBytes: 6 * MIB,
  /** The JSON result a guest returns (or a WASI command's stdout). @default 6 MiB */
  maxResultBytes: 6 * MIB,
  /**
   * A guest's error message (`__insert_error`): longer ones are cut there, with a mark saying so,
   * so that an error always reaches the caller. @default 64 KiB
   */
  maxErrorMessageBytes: 64 * 1024,
} as const;

/** Largest whole frame: a prefix, a header and a payload. */
export const LINK_MAX_FRAME_BYTES = 5 + LINK_LIMITS.maxHeaderBytes + LINK_LIMITS.maxPayloadBytes;

/**
 * Largest frame the Core takes from a connection that has not joined yet. A `join` is well under
 * 1 KiB; the WebSocket layer refuses a longer frame (close code 1009) from its header, before
 * buffering its payload, so an unauthenticated peer never makes the Core hold more than this.
 */
export const LINK_PREJOIN_MAX_FRAME_BYTES = 16 * 1024;

/**
 * Bounds of the resources a Worker may claim in `join` and `report` (the Core closes a link that
 * claims more with `ProtocolError`): memory totals up to 16 TiB, at most 65 536 threads, a CPU use
 * between 0 and 1 and load averages up to the most tasks Linux can have.
 */
export const WORKER_RESOURCE_LIMITS = {
  /** Memory a Worker may offer to functions, in MiB. @default 16 TiB */
  maxMemoryMiB: 16 * 1024 * 1024,
  /** Invocations a Worker may run at once. @default 65 536 */
  maxThreads: 65_536,
  /** Highest load average a report may claim: Linux's most tasks (PID_MAX_LIMIT). @default 4 194 304 */
  maxLoadAverage: 4_194_304,
} as const;

/** WebSocket close codes the link uses (4000-4999 are the application's). */
export const LinkCloseCode = {
  /** The peer sent something that is not a valid frame or message. */
  ProtocolError: 4000,
  /** The cluster secret did not match. */
  Unauthorized: 4001,
  /** The peer speaks another protocol version. */
  VersionMismatch: 4002,
  /** A newer connection of a Worker with the same name replaced this one. */
  Replaced: 4003,
  /** No message within the liveness limit. */
  LivenessTimeout: 4004,
  /** The side is shutting down. */
  Shutdown: 4005,
} as const;

/** One version of a function's code, as both sides name it. */
export interface LinkFunctionRef {
  module: string;
  name: string;
  /** Hex SHA-256 of the code. */
  hash: string;
}

// ---- Core → Worker ----

/** First message of every connection: the Core's nonce for the Worker to prove the secret over. */
export interface ChallengeMessage {
  type: 'challenge';
  protocol: number;
  /** Random hex the Worker's proof covers, so a recorded proof cannot be replayed. */
  nonce: string;
  /** The Core's id, for logs (random per Core process unless configured). */
  core: string;
}

export interface JoinAcceptedMessage {
  type: 'join_accepted';
  core: string;
  /** HMAC of the secret over both nonces, proving the Core holds the secret too. */
  proof: string;
  /** How often the Worker must send `report`, in ms. */
  reportIntervalMs: number;
  /** With no message for this long, either side treats the link as dead, in ms. */
  livenessTimeoutMs: number;
}

export interface JoinRefusedMessage {
  type: 'join_refused';
  error: ErrorPayload;
}

/** Store a function's code (create or update: the Worker drops other versions of module/name). */
export interface StoreMessage extends LinkFunctionRef {
  type: 'store';
  id: number;
  /** Travels as the frame's binary payload. */
  code: Uint8Array;
}

/** Drop a function: one version (`hash`) or every version of module/name. */
export interface DropMessage {
  type: 'drop';
  id: number;
  module: string;
  name: string;
  hash?: string;
}

/**
 * Sent after `join_accepted`, in one or more parts (the last with `last: true`): every function the
 * Core's store holds, at its current hash. The Worker drops the cached versions it held before this
 * connection joined that the list does not name: code of functions deleted or updated while it was
 * away does not stay on its disk. Code stored during the connection is never dropped by it.
 */
export interface SyncMessage {
  type: 'sync';
  functions: LinkFunctionRef[];
  last: boolean;
}

/** Functions per `sync` part: well inside the header limit even with the longest names. */
export const SYNC_BATCH = 2000;

export interface InvokeMessage extends LinkFunctionRef {
  type: 'invoke';
  id: number;
  /** Linear memory cap of the instance, in MiB. */
  capacityMiB: number;
  /** The raw JSON of the invocation's `args`, checked by the Core; travels as the binary tail. */
  input: Uint8Array;
  /** Time limit of the run on the Worker, in ms. */
  timeoutMs: number;
  /**
   * How many functions up the chain called this one through the API (0: a client called it). The
   * Worker sends `chainDepth + 1` in {@link CHAIN_DEPTH_HEADER} with each of its outbound requests.
   */
  chainDepth: number;
}

/**
 * The HTTP header (lowercase, as Node names headers) carrying the depth of a call chain: the Worker
 * sets it on every outbound request of an invocation at depth d to d + 1, replacing any the guest
 * set; the Core takes an invocation's depth from it (absent: 0) and refuses one deeper than its
 * `FL_MAX_CHAIN_DEPTH` with `chain_too_deep`.
 */
export const CHAIN_DEPTH_HEADER = 'x-fl-chain-depth';

/**
 * The Core gave up on invocation `id` (its time limit and grace passed): the Worker drops it if it
 * has not started on a thread yet, and answers `cancel_reply` either way.
 */
export interface CancelMessage {
  type: 'cancel';
  id: number;
}

/** The answer to a `code_request`: the code (as the frame's payload) or why there is none. */
export type CodeReplyMessage =
  | { type: 'code_reply'; id: number; ok: true; code: Uint8Array }
  | { type: 'code_reply'; id: number; ok: false; error: ErrorPayload };

export interface PingMessage {
  type: 'ping';
  /** Sender's clock in ms, echoed by `pong`. */
  at: number;
}

export interface PongMessage {
  type: 'pong';
  at: number;
}

// ---- Worker → Core ----

export interface JoinMessage {
  type: 'join';
  protocol: number;
  /** The Worker's name: what APP scripts refer to. */
  name: string;
  tag: string;
  /** Memory the Worker offers to functions, in MiB. */
  memoryTotalMiB: number;
  memoryFreeMiB: number;
  /** Invocations it runs at once. */
  threads: number;
  /** The Worker's software version. */
  version: string;
  /** The Worker's nonce, covered by both proofs. */
  nonce: string;
  /** HMAC of the cluster secret over the Core's and the Worker's nonces and the name. */
  proof: string;
}

/** The Worker's resources, sent every `reportIntervalMs`. */
export interface ReportMessage {
  type: 'report';
  memoryTotalMiB: number;
  /** Free for new invocations now, in MiB (after every invocation running, from any Core). */
  memoryFreeMiB: number;
  /**
   * Capacity held at report time by invocations this Core placed, in MiB. The Core adds it back
   * and subtracts what it has in flight now, so its own placements are never counted twice.
   */
  reservedMiB: number;
  /** Invocations running on the Worker. */
  running: number;
  /**
   * Share of the machine's CPU time (all cores) that was busy since the Worker's previous sample,
   * from 0 to 1.
   */
  cpuUse: number;
  /** The machine's load average over 1, 5 and 15 minutes (0 where the system has none). */
  loadAverage1: number;
  loadAverage5: number;
  loadAverage15: number;
}

/** The answer to `store` or `drop`. */
export interface AckMessage {
  type: 'ack';
  id: number;
  error?: ErrorPayload;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  /** The guest's raw JSON result, checked by the Worker; travels as the binary tail. */
  result: Uint8Array;
  /** Time spent running, in ms. */
  durationMs: number;
  /** What the guest printed, in order (`__console_log`, stdout, stderr); absent: nothing. */
  logs?: LogLine[];
  /** Lines were left out past `MAX_LOG_BYTES`; absent: false. */
  logsTruncated?: boolean;
}

/**
 * An invocation that failed. A guest that ran (and trapped, timed out, failed) has its time and the
 * lines it printed before the end; one that did not run (no code, overloaded, shutting down) has
 * neither.
 */
export interface InvokeErrorMessage {
  type: 'invoke_error';
  id: number;
  error: ErrorPayload;
  /** Time the guest ran, in ms; absent when it did not run. */
  durationMs?: number;
  logs?: LogLine[];
  logsTruncated?: boolean;
}

/**
 * The answer to `cancel`. `started: false`: the invocation was dropped before it reached a thread
 * and will never run (no `result` or `invoke_error` follows). `started: true`: it runs or ran (its
 * answer, if any, comes or came separately); the Worker lets it run to its own time limit.
 */
export interface CancelReplyMessage {
  type: 'cancel_reply';
  id: number;
  started: boolean;
}

/** The Worker lacks this version's code: the Core answers `code_reply`. */
export interface CodeRequestMessage extends LinkFunctionRef {
  type: 'code_request';
  id: number;
}

export type CoreMessage =
  | ChallengeMessage
  | JoinAcceptedMessage
  | JoinRefusedMessage
  | StoreMessage
  | DropMessage
  | SyncMessage
  | InvokeMessage
  | CancelMessage
  | CodeReplyMessage
  | PingMessage
  | PongMessage;

export type WorkerMessage =
  | JoinMessage
  | ReportMessage
  | AckMessage
  | ResultMessage
  | InvokeErrorMessage
  | CancelReplyMessage
  | CodeRequestMessage
  | PingMessage
  | PongMessage;

export type LinkMessage = CoreMessage | WorkerMessage;
export type LinkMessageType = LinkMessage['type'];
