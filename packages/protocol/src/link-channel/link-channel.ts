/**
 * The transport under one Core↔Worker connection. Everything the link does — challenge and join,
 * sync, push, invoke, liveness, drain, code on demand — is written once, above this interface, by
 * the Core (`WorkerLink`, `CoreCluster`) and the Worker (`CoreConnection`). Two transports carry it:
 * `WebSocketChannel` between processes (binary frames, see `frame.ts`) and `inProcessChannelPair()`
 * when the Core and its Worker share a process (`fl up`), which hands the message objects across.
 * See docs/architecture.md, "The link".
 */
import type { LinkProtocolError } from '../frame.js';
import type { CoreMessage, LinkMessage, WorkerMessage } from '../messages.js';
import type { LinkKeys } from './frame-seal.js';

/** What a channel tells its owner. */
export interface LinkChannelEvents<In extends LinkMessage> {
  /** A message from the peer, already checked (type, fields, bounds). */
  message(message: In): void;
  /**
   * The peer sent something that is not a valid message (a bad frame). The channel stays open:
   * its owner logs and closes it with `LinkCloseCode.ProtocolError`.
   */
  invalid(error: LinkProtocolError): void;
  /** The connection is closed (by either side, or the peer vanished). Called once. */
  close(code: number, reason: string): void;
  /** Trouble below the link (a socket error), worth a debug line; `close` follows. */
  error?(error: Error): void;
}

/**
 * One end of one connection. Messages sent are delivered in order and never synchronously (the
 * receiver sees them from a later task or microtask), so a request registered right after `send`
 * never misses its answer. A message object must not be changed once sent: the in-process
 * transport hands the object itself to the peer.
 */
export interface LinkChannel<Out extends LinkMessage, In extends LinkMessage> {
  /** Who is on the other end, for logs: `127.0.0.1:51234`, `in-process`. */
  readonly remote: string;
  /** True while messages sent are delivered: false once either side closed. */
  readonly open: boolean;
  /** Sets the receiver of the channel's events; call it before yielding to the event loop. */
  listen(events: LinkChannelEvents<In>): void;
  /**
   * Sends one message; a no-op once the channel is closed. Throws `LinkProtocolError` when the
   * message exceeds the link's bounds (`LINK_LIMITS`), before sending anything.
   */
  send(message: Out): void;
  /**
   * From the next message on, seals what this end sends with `keys.send` and opens what it receives
   * with `keys.receive` (`frame-seal.ts`); a frame that does not open is an `invalid` event. Each
   * end calls it once, right after the join (the Core after sending `join_accepted`, the Worker on
   * receiving it). A transport nobody else can see into (in process) ignores it.
   */
  seal(keys: LinkKeys): void;
  /** Closes with a `LinkCloseCode` and a reason, which the peer's `close` event gets. */
  close(code: number, reason: string): void;
  /** Drops the connection at once, without a closing handshake (a silent peer, a Core restarting). */
  terminate(): void;
}

/** The Core's end of a connection to one Worker. */
export type CoreChannel = LinkChannel<CoreMessage, WorkerMessage>;

/** A Worker's end of its connection to one Core. */
export type WorkerChannel = LinkChannel<WorkerMessage, CoreMessage>;

/** How a Worker reaches one Core: each `dial()` is one connection attempt. */
export interface LinkDialer {
  /** Names the Core in logs and in the Worker's list of Cores (a URL, or `in-process:<core id>`). */
  readonly url: string;
  dial(): WorkerChannel;
}

/** Close code of a connection that ended without a close code (WebSocket's "abnormal closure"). */
export const ABNORMAL_CLOSE = 1006;
