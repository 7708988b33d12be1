import { randomBytes } from 'node:crypto';

/**
 * Activation ids: 32 lowercase hex digits, the first 12 the time in ms since the epoch at which the
 * Core accepted the invocation, the last 20 (80 bits) random. So ids sort by time as text (the
 * database's primary key is the time index), a time range is a range of ids, and ids from several
 * Cores never collide. Within one millisecond a Core increments the random part, so its own ids
 * are strictly increasing (the order it accepted invocations in), as ULIDs are.
 */

const TIME_DIGITS = 12;
const RANDOM_DIGITS = 20;
/** The random part starts below half its range, so incrementing it never carries into the time. */
const RANDOM_START_MASK = (1n << 79n) - 1n;
/** The latest time 12 hex digits hold (year 10889). */
const MAX_TIME = 16 ** TIME_DIGITS - 1;

/** When the Core accepted the activation with this id. */
export function activationTime(id: string): Date {
  return new Date(parseInt(id.slice(0, TIME_DIGITS), 16));
}

/** The lowest id of any activation accepted at `time` or later. */
export function firstIdAt(time: Date | number): string {
  const ms = Math.min(Math.max(0, Math.floor(Number(time))), MAX_TIME);
  return ms.toString(16).padStart(TIME_DIGITS, '0') + '0'.repeat(RANDOM_DIGITS);
}

/** Makes the ids of one Core: unique, and increasing in the order they are made. */
export class ActivationIds {
  #lastMs = -1;
  #random = 0n;

  /** A new id for an activation accepted at `now` (ms). */
  next(now: number = Date.now()): string {
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#random = BigInt(`0x${randomBytes(10).toString('hex')}`) & RANDOM_START_MASK;
    } else {
      // The clock did not move, or went back: stay on the last time and count up.
      this.#random++;
    }
    return (
      this.#lastMs.toString(16).padStart(TIME_DIGITS, '0') +
      this.#random.toString(16).padStart(RANDOM_DIGITS, '0')
    );
  }
}
