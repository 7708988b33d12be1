/**
 * Sealed frames: after the join, every frame of a WebSocket link travels encrypted and
 * authenticated with AES-256-GCM under a key of that connection and direction (`linkKeys` in
 * `link-auth.ts`). One sealed message carries the frames one end sent in one event-loop turn (at
 * least one; a frame over `SEAL_BATCH_BYTES` travels alone), so that under load the cipher's
 * fixed cost per call is paid once for many frames. The 12-byte IV is the direction's message
 * counter (64-bit big-endian after four zero bytes), starting at 0; it is not sent: the receiver
 * expects exactly the next one, so a message dropped, replayed, reordered, altered or sealed under
 * another key fails authentication. A relay can at worst drop traffic. See docs/architecture.md,
 * "The link".
 *
 *   sealed message = AES-256-GCM(key, IV = counter, (frame length u32 BE | frame)+) | 16-byte tag
 */
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { LinkProtocolError } from '../frame.js';
import { LINK_MAX_FRAME_BYTES } from '../messages.js';

/** Bytes of a sealed message's authentication tag (GCM). */
export const SEAL_TAG_BYTES = 16;
/** Bytes of a key: AES-256. */
export const SEAL_KEY_BYTES = 32;
/** Bytes before each frame inside a sealed message: its length. */
const LENGTH_BYTES = 4;
/**
 * Frames sent in one event-loop turn are sealed together up to this many bytes; a larger frame is
 * sealed on its own. @default 256 KiB
 */
export const SEAL_BATCH_BYTES = 256 * 1024;
/** Largest sealed message: one whole frame with its length and the tag (a batch is smaller). */
export const LINK_MAX_SEALED_FRAME_BYTES = LENGTH_BYTES + LINK_MAX_FRAME_BYTES + SEAL_TAG_BYTES;

const IV_BYTES = 12;
const CIPHER = 'aes-256-gcm';

/** The keys of one end of a joined link: one to seal what it sends, one to open what it receives. */
export interface LinkKeys {
  send: Uint8Array;
  receive: Uint8Array;
}

function secretKey(key: Uint8Array): KeyObject {
  if (key.byteLength !== SEAL_KEY_BYTES) {
    throw new RangeError(`a frame key is ${SEAL_KEY_BYTES} bytes, got ${key.byteLength}`);
  }
  return createSecretKey(key);
}

/** One direction's sequence of IVs: the frame counter, never reused. */
class FrameCounter {
  #next = 0;

  /** The IV of the next frame (the counter moves on only when `advance` says the frame is done). */
  iv(): Buffer {
    const n = this.#next;
    if (n > Number.MAX_SAFE_INTEGER) throw new LinkProtocolError('the frame counter is exhausted');
    const iv = Buffer.alloc(IV_BYTES);
    iv.writeUInt32BE(Math.floor(n / 2 ** 32), 4);
    iv.writeUInt32BE(n >>> 0, 8);
    return iv;
  }

  get value(): number {
    return this.#next;
  }

  advance(): void {
    this.#next++;
  }
}

/** Seals the frames one end sends, in order. */
export class FrameSealer {
  readonly #key: KeyObject;
  readonly #counter = new FrameCounter();

  constructor(key: Uint8Array) {
    this.#key = secretKey(key);
  }

  /** Messages sealed so far. */
  get count(): number {
    return this.#counter.value;
  }

  /** The next sealed message in this direction, carrying `frames` (at least one), in order. */
  seal(frames: readonly Uint8Array[]): Buffer {
    if (frames.length === 0) throw new RangeError('a sealed message carries at least one frame');
    let plain = 0;
    for (const frame of frames) plain += LENGTH_BYTES + frame.byteLength;
    const cipher = createCipheriv(CIPHER, this.#key, this.#counter.iv(), { authTagLength: SEAL_TAG_BYTES });
    this.#counter.advance();
    const parts: Buffer[] = [];
    if (frames.length === 1) {
      // One frame (a large one travels alone): no copy of it into a plaintext buffer.
      const frame = frames[0]!;
      const length = Buffer.allocUnsafe(LENGTH_BYTES);
      length.writeUInt32BE(frame.byteLength, 0);
      parts.push(cipher.update(length), cipher.update(frame));
    } else {
      const batch = Buffer.allocUnsafe(plain);
      let at = 0;
      for (const frame of frames) {
        batch.writeUInt32BE(frame.byteLength, at);
        batch.set(frame, at + LENGTH_BYTES);
        at += LENGTH_BYTES + frame.byteLength;
      }
      parts.push(cipher.update(batch));
    }
    cipher.final();
    parts.push(cipher.getAuthTag());
    return Buffer.concat(parts, plain + SEAL_TAG_BYTES);
  }
}

/**
 * Opens the messages one end receives, in order. The first message that fails leaves it failing
 * every later one: the link is closed on it, and nothing after it is trusted.
 */
export class FrameOpener {
  readonly #key: KeyObject;
  readonly #counter = new FrameCounter();
  #failed: LinkProtocolError | undefined;

  constructor(key: Uint8Array) {
    this.#key = secretKey(key);
  }

  /** Messages opened so far. */
  get count(): number {
    return this.#counter.value;
  }

  /**
   * The frames inside `sealed`, in order; throws `LinkProtocolError` if it is not the next message,
   * intact, or its frames are not laid out as `seal` lays them out.
   */
  open(sealed: Uint8Array): Buffer[] {
    if (this.#failed) throw this.#failed;
    const n = this.#counter.value;
    // Bounds before any work on the bytes.
    if (sealed.byteLength < LENGTH_BYTES + SEAL_TAG_BYTES) {
      throw this.#fail(
        `sealed message ${n} of ${sealed.byteLength} bytes is shorter than a length and a tag`,
      );
    }
    if (sealed.byteLength > LINK_MAX_SEALED_FRAME_BYTES) {
      throw this.#fail(
        `sealed message ${n} of ${sealed.byteLength} bytes exceeds the ${LINK_MAX_SEALED_FRAME_BYTES}-byte limit`,
      );
    }
    const end = sealed.byteLength - SEAL_TAG_BYTES;
    const decipher = createDecipheriv(CIPHER, this.#key, this.#counter.iv(), {
      authTagLength: SEAL_TAG_BYTES,
    });
    decipher.setAuthTag(sealed.subarray(end));
    const plain = decipher.update(sealed.subarray(0, end));
    try {
      decipher.final();
    } catch {
      throw this.#fail(
        `sealed message ${n} failed authentication (altered, replayed, reordered or lost on the way, or sealed with another key)`,
      );
    }
    this.#counter.advance();
    const frames: Buffer[] = [];
    for (let at = 0; at < plain.length;) {
      const length = at + LENGTH_BYTES <= plain.length ? plain.readUInt32BE(at) : -1;
      if (length < 0 || at + LENGTH_BYTES + length > plain.length) {
        throw this.#fail(`sealed message ${n} holds a frame that overruns it, at byte ${at}`);
      }
      frames.push(plain.subarray(at + LENGTH_BYTES, at + LENGTH_BYTES + length));
      at += LENGTH_BYTES + length;
    }
    return frames;
  }

  #fail(message: string): LinkProtocolError {
    this.#failed = new LinkProtocolError(message);
    return this.#failed;
  }
}
