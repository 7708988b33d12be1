/**
 * The lines a guest prints, kept where its thread's end cannot take them: a SharedArrayBuffer per
 * invocation thread that the thread appends each line to as it is written, and that the main
 * thread reads when the invocation ends, whether the thread answered or was terminated at the time
 * limit (docs/runtime.md, "Logs"). So the lines a guest wrote before it trapped, or before it was
 * stopped, reach its activation record.
 *
 * Layout: four Int32 words (bytes written, the cut flag, the task id), then the lines, each one
 * byte of stream, four bytes of length (little-endian) and its UTF-8 text. The thread publishes a
 * line by storing the new length after writing it (sequentially consistent), so the main thread
 * never reads a line half written.
 */
import { Buffer } from 'node:buffer';

import { LOG_LINE_OVERHEAD_BYTES, LOG_STREAMS } from '@funless/protocol';
import type { CapturedLogs, LogLine, LogStream } from '@funless/protocol';

const Word = { Length: 0, Cut: 1, TaskId: 2 } as const;
const HEADER_BYTES = 16;
const encoder = new TextEncoder();

/** The buffer of a thread's log area holding up to `maxBytes` of lines (stream and length included). */
export function createLogArea(maxBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + maxBytes);
}

/** The thread's side: lines appended in order until the area is full, then the cut is marked. */
export class LogWriter {
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #length = 0;
  #cut = false;

  constructor(buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#bytes = new Uint8Array(buffer, HEADER_BYTES);
    this.#view = new DataView(buffer, HEADER_BYTES);
  }

  /** Bytes of the area, lines and their stream and length included. */
  get maxBytes(): number {
    return this.#bytes.length;
  }

  /** Empties the area for task `taskId`. */
  reset(taskId: number): void {
    this.#length = 0;
    this.#cut = false;
    Atomics.store(this.#words, Word.Cut, 0);
    Atomics.store(this.#words, Word.Length, 0);
    Atomics.store(this.#words, Word.TaskId, taskId);
  }

  add(stream: LogStream, text: string): void {
    if (this.#cut) return;
    const start = this.#length + LOG_LINE_OVERHEAD_BYTES;
    const room = this.#bytes.length - start;
    // A line that does not fit whole is not written: the cut is marked instead.
    // UTF-8 takes at least one byte per UTF-16 unit: a longer text cannot fit.
    if (room < 0 || text.length > room) return this.#markCut();
    const { read, written } = encoder.encodeInto(text, this.#bytes.subarray(start));
    if (read < text.length) return this.#markCut();
    this.#bytes[this.#length] = LOG_STREAMS.indexOf(stream);
    this.#view.setUint32(this.#length + 1, written, true);
    this.#length = start + written;
    Atomics.store(this.#words, Word.Length, this.#length);
  }

  #markCut(): void {
    this.#cut = true;
    Atomics.store(this.#words, Word.Cut, 1);
  }
}

/** The main thread's side: the lines of task `taskId`, read after it ended. */
export function readLogArea(buffer: SharedArrayBuffer, taskId: number): CapturedLogs {
  const words = new Int32Array(buffer, 0, HEADER_BYTES / 4);
  if (Atomics.load(words, Word.TaskId) !== taskId) return { logs: [], logsTruncated: false };
  const length = Atomics.load(words, Word.Length);
  const logsTruncated = Atomics.load(words, Word.Cut) === 1;
  if (length === 0) return { logs: [], logsTruncated };
  const bytes = Buffer.from(buffer, HEADER_BYTES, length);
  const logs: LogLine[] = [];
  for (let at = 0; at + LOG_LINE_OVERHEAD_BYTES <= length;) {
    const stream = LOG_STREAMS[bytes[at]!] ?? LOG_STREAMS[0]!;
    const size = bytes.readUInt32LE(at + 1);
    const start = at + LOG_LINE_OVERHEAD_BYTES;
    logs.push({ stream, text: bytes.toString('utf8', start, start + size) });
    at = start + size;
  }
  return { logs, logsTruncated };
}
