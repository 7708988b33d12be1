/**
 * The fast path between the main thread and an invocation thread: a SharedArrayBuffer per thread
 * with a few control words and a data area, signalled with `Atomics.notify` / `Atomics.wait`
 * (thread) and `Atomics.waitAsync` (main). A `postMessage` round trip costs about twice as much,
 * and this is the hop every invocation pays. What does not fit (modules, big inputs, results with
 * logs, errors) travels as messages on a `MessagePort` that the woken side drains synchronously
 * with `receiveMessageOnPort`, always before the flag that announces it.
 */

/** Int32 word indexes (words 8-11 are the two Float64 slots below). */
export const Word = {
  /** Main sets 1 when a task is ready; the thread resets it to 0 when it takes it. */
  Request: 0,
  /** The thread sets 1 when the reply is ready; main resets it to 0 before sending a task. */
  Reply: 1,
  TaskId: 2,
  ModuleId: 3,
  CapPages: 4,
  /** Bytes of input in the data area, or -1 when the input came as a message. */
  InputLength: 5,
  /** 0: the result is in the data area; 1: the reply came as a message. */
  ReplyMode: 6,
  ResultLength: 7,
  /**
   * 1 while the thread is (about to be) asleep in `Atomics.wait`. Main notifies only then: a
   * thread still busy resetting its instance sees the request flag without a wake-up (a notify is
   * a system call). Both sides use sequentially consistent atomics, so one of them always sees
   * the other's write.
   */
  Sleeping: 12,
} as const;

/** Float64 indexes (the same buffer seen as Float64Array): bytes 32-47. */
export const Float = {
  /** `Date.now()` at which the invocation's time limit ends. */
  Deadline: 4,
  DurationMs: 5,
} as const;

/** Where the data area starts, in bytes. */
export const DATA_OFFSET = 64;
/** Size of the data area: inputs and results up to this size take the fast path. */
export const DATA_BYTES = 256 * 1024;

export function createTaskBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(DATA_OFFSET + DATA_BYTES);
}

export interface TaskViews {
  words: Int32Array;
  floats: Float64Array;
  data: Uint8Array;
}

export function taskViews(buffer: SharedArrayBuffer): TaskViews {
  return {
    words: new Int32Array(buffer, 0, DATA_OFFSET / 4),
    floats: new Float64Array(buffer, 0, DATA_OFFSET / 8),
    data: new Uint8Array(buffer, DATA_OFFSET, DATA_BYTES),
  };
}
