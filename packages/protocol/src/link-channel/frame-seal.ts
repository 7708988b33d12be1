/**
 * Sealed frames: after the join, every frame of a WebSocket link travels encrypted and
 * authenticated with AES-256-GCM under a key of that connection and direction (`linkKeys` in
 * `link-auth.ts`). The 12-byte IV is the direction's frame counter (64-bit big-endian after four
 * zero bytes), starting at 0; it is not sent: the receiver expects exactly the next one, so a frame
 * dropped, replayed, reordered, altered or sealed under another key fails authentication. A relay
 * can at worst drop traffic. See docs/architecture.md, "The link".
 *
 *   sealed frame = AES-256-GCM(key, IV = counter, frame) | 16-byte tag
 */
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { LinkProtocolError } from '../frame.js';
import { LINK_MAX_FRAME_BYTES } from '../messages.js';

/** Bytes a sealed frame adds to the frame: the GCM tag. */
export const SEAL_TAG_BYTES = 16;
/** Bytes of a key: AES-256. */
export const SEAL_KEY_BYTES = 32;
/** Largest sealed frame: a whole frame and its tag. */
export const LINK_MAX_SEALED_FRAME_BYTES = LINK_MAX_FRAME_BYTES + SEAL_TAG_BYTES;

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

  /** Frames sealed so far. */
  get count(): number {
    return this.#counter.value;
  }

  /** The sealed frame of `frame`, the next in this direction. */
  seal(frame: Uint8Array): Buffer {
    const cipher = createCipheriv(CIPHER, this.#key, this.#counter.iv(), { authTagLength: SEAL_TAG_BYTES });
    this.#counter.advance();
    const body = cipher.update(frame);
    cipher.final();
    return Buffer.concat([body, cipher.getAuthTag()], body.length + SEAL_TAG_BYTES);
  }
}

/**
 * Opens the frames one end receives, in order. The first frame that fails leaves it failing every
 * later one: the link is closed on it, and nothing after it is trusted.
 */
export class FrameOpener {
  readonly #key: KeyObject;
  readonly #counter = new FrameCounter();
  #failed: LinkProtocolError | undefined;

  constructor(key: Uint8Array) {
    this.#key = secretKey(key);
  }

  /** Frames opened so far. */
  get count(): number {
    return this.#counter.value;
  }

  /** The frame inside `sealed`; throws `LinkProtocolError` if it is not the next one, intact. */
  open(sealed: Uint8Array): Buffer {
    if (this.#failed) throw this.#failed;
    const n = this.#counter.value;
    // Bounds before any work on the bytes.
    if (sealed.byteLength < SEAL_TAG_BYTES) {
      throw this.#fail(`sealed frame ${n} of ${sealed.byteLength} bytes is shorter than its tag`);
    }
    if (sealed.byteLength > LINK_MAX_SEALED_FRAME_BYTES) {
      throw this.#fail(
        `sealed frame ${n} of ${sealed.byteLength} bytes exceeds the ${LINK_MAX_SEALED_FRAME_BYTES}-byte limit`,
      );
    }
    const end = sealed.byteLength - SEAL_TAG_BYTES;
    const decipher = createDecipheriv(CIPHER, this.#key, this.#counter.iv(), {
      authTagLength: SEAL_TAG_BYTES,
    });
    decipher.setAuthTag(sealed.subarray(end));
    const frame = decipher.update(sealed.subarray(0, end));
    try {
      decipher.final();
    } catch {
      throw this.#fail(
        `sealed frame ${n} failed authentication (altered, replayed, reordered or lost on the way, or sealed with another key)`,
      );
    }
    this.#counter.advance();
    return frame;
  }

  #fail(message: string): LinkProtocolError {
    this.#failed = new LinkProtocolError(message);
    return this.#failed;
  }
}
