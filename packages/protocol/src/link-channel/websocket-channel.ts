import { Buffer } from 'node:buffer';

import { encodeFrame, LinkProtocolError } from '../frame.js';
import { LINK_PREJOIN_MAX_FRAME_BYTES } from '../messages.js';
import type { LinkMessage } from '../messages.js';
import { FrameOpener, FrameSealer, LINK_MAX_SEALED_FRAME_BYTES, SEAL_BATCH_BYTES } from './frame-seal.js';
import type { LinkKeys } from './frame-seal.js';
import type { LinkChannel, LinkChannelEvents } from './link-channel.js';

/**
 * The part of a `ws` WebSocket (either side: accepted by a server or dialled) the channel uses;
 * described here so that this package needs no WebSocket library.
 */
export interface LinkSocket {
  readonly readyState: number;
  send(data: Uint8Array, options: { binary: boolean }): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** The TCP socket under it, once open (`ws` keeps it there). */
  readonly _socket?: { cork(): void; uncork(): void } | null;
  /**
   * Its frame parser, once open: `ws` keeps the socket's frame limit there (`maxPayload`, given to
   * the server or to the dialling socket), checked against each frame's header before the payload
   * is buffered.
   */
  readonly _receiver?: { _maxPayload?: unknown } | null;
}

/**
 * Whether `socket` refuses frames over the pre-join bound (`LINK_PREJOIN_MAX_FRAME_BYTES`) in a
 * place `seal` can raise it from. A connection without it is refused rather than left unbounded
 * (a `ws` version keeping the limit elsewhere).
 */
export function hasPrejoinFrameLimit(socket: LinkSocket): boolean {
  return socket._receiver?._maxPayload === LINK_PREJOIN_MAX_FRAME_BYTES;
}

const CONNECTING = 0;
const OPEN = 1;
/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
const MAX_REASON_BYTES = 120;
/** A peer that vanished never completes the closing handshake: its socket is dropped after this, in ms. */
const CLOSE_GRACE_MS = 1000;

/**
 * A push sends the same `store` message to every Worker: its frame (which holds the code) is
 * encoded once and reused for every connection, as long as the message object lives (a sealed
 * connection seals its own copy: each has its own key).
 */
const sharedFrames = new WeakMap<object, Buffer>();

function frameOf(message: LinkMessage): Buffer {
  if (message.type !== 'store') return encodeFrame(message);
  let frame = sharedFrames.get(message);
  if (!frame) {
    frame = encodeFrame(message);
    sharedFrames.set(message, frame);
  }
  return frame;
}

/**
 * The link between processes: one binary WebSocket frame per message (`frame.ts`), each decoded
 * and checked on arrival by `decode` (`decodeWorkerFrame` on the Core, `decodeCoreFrame` on a
 * Worker); once `seal` is called, sealed and opened (`frame-seal.ts`). A frame that fails the
 * checks or does not open becomes an `invalid` event, never a message.
 */
export class WebSocketChannel<Out extends LinkMessage, In extends LinkMessage> implements LinkChannel<
  Out,
  In
> {
  #events: LinkChannelEvents<In> | undefined;
  #closing = false;
  /** A flush is due at the end of this event-loop turn. */
  #scheduled = false;
  #corked = false;
  #sealer: FrameSealer | undefined;
  #opener: FrameOpener | undefined;
  /** Once sealed: this turn's frames, to be sealed together at the flush. */
  #batch: Uint8Array[] = [];
  #batchBytes = 0;

  constructor(
    readonly socket: LinkSocket,
    private readonly decode: (frame: Uint8Array) => In,
    readonly remote: string,
  ) {
    socket.on('message', (data, isBinary) => {
      const events = this.#events;
      if (!events) return;
      const invalid = (error: unknown) =>
        events.invalid(
          error instanceof LinkProtocolError ? error : new LinkProtocolError((error as Error).message),
        );
      let frames: readonly Uint8Array[];
      try {
        if (!isBinary || !Buffer.isBuffer(data)) throw new LinkProtocolError('text frame');
        frames = this.#opener ? this.#opener.open(data) : [data];
      } catch (error) {
        invalid(error);
        return;
      }
      for (const frame of frames) {
        let message: In;
        try {
          message = this.decode(frame);
        } catch (error) {
          invalid(error);
          return;
        }
        events.message(message);
      }
    });
    socket.on('close', (code, reason) => this.#events?.close(code, reason.toString()));
    socket.on('error', (error) => this.#events?.error?.(error));
  }

  get open(): boolean {
    return !this.#closing && this.socket.readyState === OPEN;
  }

  listen(events: LinkChannelEvents<In>): void {
    this.#events = events;
  }

  send(message: Out): void {
    const frame = frameOf(message);
    if (!this.open) return;
    this.#schedule();
    const sealer = this.#sealer;
    if (!sealer) {
      this.socket.send(frame, { binary: true });
      return;
    }
    if (frame.byteLength > SEAL_BATCH_BYTES) {
      // Alone and at once, after what waits (the order is kept): no copy into a batch.
      this.#sendBatch();
      this.socket.send(sealer.seal([frame]), { binary: true });
      return;
    }
    if (this.#batchBytes + frame.byteLength > SEAL_BATCH_BYTES) this.#sendBatch();
    this.#batch.push(frame);
    this.#batchBytes += frame.byteLength;
  }

  /**
   * Also the end of the pre-join bound on both ends: frames until here were limited to
   * `LINK_PREJOIN_MAX_FRAME_BYTES`, sealed ones may be up to `LINK_MAX_SEALED_FRAME_BYTES`.
   */
  seal(keys: LinkKeys): void {
    if (this.#sealer) throw new Error('this link is sealed already');
    this.#sealer = new FrameSealer(keys.send);
    this.#opener = new FrameOpener(keys.receive);
    const receiver = this.socket._receiver;
    if (receiver && hasPrejoinFrameLimit(this.socket)) receiver._maxPayload = LINK_MAX_SEALED_FRAME_BYTES;
  }

  /**
   * Holds this event-loop turn's frames and writes them in one system call once the turn's I/O
   * callbacks are done (under load, many invocations go out per turn; alone, one frame leaves a
   * few microseconds later). On a sealed link they are sealed together then, at the cost of one
   * cipher call for the turn instead of one per frame.
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const tcp = this.socket._socket;
    if (tcp) {
      this.#corked = true;
      tcp.cork();
    }
    setImmediate(() => this.#flush());
  }

  /** Seals and sends the frames waiting in the batch, if any. */
  #sendBatch(): void {
    if (this.#batch.length === 0) return;
    const frames = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    if (this.socket.readyState === OPEN) this.socket.send(this.#sealer!.seal(frames), { binary: true });
  }

  /** Writes what waits now (before a close or a terminate, which would discard it). */
  #flush(): void {
    this.#scheduled = false;
    this.#sendBatch();
    if (!this.#corked) return;
    this.#corked = false;
    this.socket._socket?.uncork();
  }

  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.socket.readyState === CONNECTING) {
      this.socket.terminate();
      return;
    }
    try {
      this.#sendBatch();
      this.socket.close(code, Buffer.from(reason).subarray(0, MAX_REASON_BYTES).toString());
      this.#flush();
    } catch {
      this.socket.terminate();
    }
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  terminate(): void {
    this.#closing = true;
    this.#flush();
    this.socket.terminate();
  }
}
