/**
 * The shared buffer through which a blocked invocation thread receives the answer to a guest's
 * `__http_request` from the main thread.
 *
 * Layout (Int32 words): [0] control = seq << 3 | phase, [1] status, [2] body or reason length,
 * then the body bytes from byte 16. The thread sets WAITING and blocks on word 0; the main thread
 * claims the buffer with compare-and-swap WAITING → WRITING, so an answer that arrives after the
 * thread gave up (ABANDONED) or for an older request (other seq) is dropped instead of landing in
 * the middle of a newer request.
 */
export const HttpPhase = { Waiting: 1, Writing: 2, Done: 3, Abandoned: 4 } as const;

export const HTTP_HEADER_BYTES = 16;
const SEQ_MASK = 0x0fff_ffff;

export function createHttpBuffer(maxResponseBytes: number): SharedArrayBuffer {
  // Room for a failure reason even when responses are tiny.
  return new SharedArrayBuffer(HTTP_HEADER_BYTES + Math.max(maxResponseBytes, 1024));
}

export const controlWord = (seq: number, phase: number): number => ((seq & SEQ_MASK) << 3) | phase;

export interface HttpAnswer {
  /** HTTP status, or 0 when the request failed. */
  status: number;
  /** The body when status > 0, else the reason (UTF-8) for the invocation's logs. */
  bytes: Uint8Array;
}

/** Main-thread side: writes the answer for request `seq`, unless the thread has moved on. */
export function writeHttpAnswer(buffer: SharedArrayBuffer, seq: number, answer: HttpAnswer): boolean {
  const ctrl = new Int32Array(buffer, 0, 4);
  const waiting = controlWord(seq, HttpPhase.Waiting);
  if (Atomics.compareExchange(ctrl, 0, waiting, controlWord(seq, HttpPhase.Writing)) !== waiting)
    return false;
  const room = buffer.byteLength - HTTP_HEADER_BYTES;
  const bytes = answer.bytes.subarray(0, room);
  new Uint8Array(buffer, HTTP_HEADER_BYTES, bytes.length).set(bytes);
  Atomics.store(ctrl, 1, answer.status);
  Atomics.store(ctrl, 2, bytes.length);
  Atomics.store(ctrl, 0, controlWord(seq, HttpPhase.Done));
  Atomics.notify(ctrl, 0);
  return true;
}

/** Thread side: the state of one request in flight. */
export class HttpBridgeClient {
  private seq = 0;
  private readonly ctrl: Int32Array;
  constructor(private readonly buffer: SharedArrayBuffer) {
    this.ctrl = new Int32Array(buffer, 0, 4);
  }

  /** Marks a new request as waiting and returns its sequence number. */
  begin(): number {
    this.seq = (this.seq + 1) & SEQ_MASK;
    Atomics.store(this.ctrl, 0, controlWord(this.seq, HttpPhase.Waiting));
    return this.seq;
  }

  /** Blocks until the answer for the current request arrives or `deadline` (Date.now() ms) passes. */
  wait(deadline: number): HttpAnswer | undefined {
    const waiting = controlWord(this.seq, HttpPhase.Waiting);
    const writing = controlWord(this.seq, HttpPhase.Writing);
    const done = controlWord(this.seq, HttpPhase.Done);
    for (;;) {
      const now = Atomics.load(this.ctrl, 0);
      if (now === done) {
        const status = Atomics.load(this.ctrl, 1);
        const length = Atomics.load(this.ctrl, 2);
        return { status, bytes: new Uint8Array(this.buffer, HTTP_HEADER_BYTES, length) };
      }
      if (now === writing) {
        // The main thread is copying the body: a bounded memcpy, wait for it.
        Atomics.wait(this.ctrl, 0, writing, 1000);
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const abandoned = controlWord(this.seq, HttpPhase.Abandoned);
        if (Atomics.compareExchange(this.ctrl, 0, waiting, abandoned) === waiting) return undefined;
        continue;
      }
      Atomics.wait(this.ctrl, 0, waiting, remaining);
    }
  }
}
