import { randomFillSync } from 'node:crypto';

/**
 * Activation ids: 32 lowercase hex digits, the first 12 the time in ms since the epoch at which the
 * Core accepted the invocation, the last 20 (80 bits) random. So ids sort by time as text (the
 * database's primary key is the time index), a time range is a range of ids, and ids from several
 * Cores never collide. Within one millisecond a Core increments the random part, so its own ids
 * are strictly increasing (the order it accepted invocations in), as ULIDs are.
 */

const TIME_DIGITS = 12;
/** The random part: two halves of 40 bits (10 hex digits each), plain numbers, not a BigInt. */
const HALF = 2 ** 40;
/** The time 12 hex digits hold at most (year 10889). */
const MAX_TIME = 16 ** TIME_DIGITS - 1;

/** When the Core accepted the activation with this id. */
export function activationTime(id: string): Date {
  return new Date(parseInt(id.slice(0, TIME_DIGITS), 16));
}

/** The lowest id of any activation accepted at `time` or later. */
export function firstIdAt(time: Date | number): string {
  const ms = Math.min(Math.max(0, Math.floor(Number(time))), MAX_TIME);
  return ms.toString(16).padStart(TIME_DIGITS, '0') + '0'.repeat(20);
}

/** 10 hex digits of `n` (< 2^40): those of 2^40 + n without its leading 1, no padding needed. */
const hex10 = (n: number): string => (HALF + n).toString(16).slice(1);

/** Random bytes drawn 4 KiB at a time: one system call for 400 milliseconds that see an id. */
class RandomPool {
  readonly #bytes = Buffer.alloc(4096);
  #offset = this.#bytes.length;

  /** The next `length` bytes (≤ 4096), valid until the next call. */
  take(length: number): Buffer {
    if (this.#offset + length > this.#bytes.length) {
      randomFillSync(this.#bytes);
      this.#offset = 0;
    }
    const start = this.#offset;
    this.#offset += length;
    return this.#bytes.subarray(start, start + length);
  }
}

/** Makes the ids of one Core: unique, and increasing in the order they are made. */
export class ActivationIds {
  #lastMs = -1;
  #time = '';
  #high = 0;
  #low = 0;
  readonly #random = new RandomPool();

  /** A new id for an activation accepted at `now` (ms). */
  next(now: number = Date.now()): string {
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#time = now.toString(16).padStart(TIME_DIGITS, '0');
      const random = this.#random.take(10);
      // The high half starts below half its range, so counting up never carries into the time.
      this.#high = random.readUIntBE(0, 5) % (HALF / 2);
      this.#low = random.readUIntBE(5, 5);
    } else if (++this.#low === HALF) {
      // The clock did not move, or went back: stay on the last time and count up.
      this.#low = 0;
      this.#high++;
    }
    return this.#time + hex10(this.#high) + hex10(this.#low);
  }
}
