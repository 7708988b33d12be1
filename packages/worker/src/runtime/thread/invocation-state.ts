import type { ErrorCode, LogStream } from '@funless/protocol';

import type { LogWriter } from './log-area.js';

/** Raised by host functions to end the invocation with a given error code. */
export class GuestFault extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Raised by `proc_exit`: unwinds the guest's stack; the invocation, not the thread, ends. */
export class ProcExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Turns an output stream (stdout, stderr) into log lines, keeping a partial line until its end. */
export class LineStream {
  private partial = '';
  /** Its own decoder: a character cut between two writes is decoded whole. */
  private readonly decoder = new TextDecoder();
  constructor(
    private readonly sink: LogWriter,
    private readonly stream: LogStream,
  ) {}

  write(bytes: Uint8Array): void {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.sink.add(this.stream, line);
    if (this.partial.length > 8192) {
      this.sink.add(this.stream, this.partial);
      this.partial = '';
    }
  }

  /** Ends a last line written without its line break. */
  flush(): void {
    const text = this.partial + this.decoder.decode();
    if (text !== '') this.sink.add(this.stream, text);
    this.partial = '';
  }
}

/** A byte buffer that refuses to grow past `max`. */
export class BoundedBytes {
  private chunks: Uint8Array[] = [];
  length = 0;
  constructor(readonly max: number) {}

  /** Appends a copy; false (and nothing appended) when it would pass the bound. */
  push(bytes: Uint8Array): boolean {
    if (this.length + bytes.length > this.max) return false;
    this.chunks.push(bytes.slice());
    this.length += bytes.length;
    return true;
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const all = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      all.set(c, offset);
      offset += c.length;
    }
    return all;
  }
}

/** Everything one invocation's host functions read and write; replaced for every invocation. */
export interface InvocationState {
  memory: WebAssembly.Memory;
  input: Uint8Array;
  /** Bytes of stdin already read (WASI commands). */
  stdinOffset: number;
  response: Uint8Array | undefined;
  /** The first bytes of the guest's error message (`__insert_error`), at most the message bound. */
  error: Uint8Array | undefined;
  /** The whole length of that message, in bytes. */
  errorBytes: number;
  /** The invocation's lines, in its thread's log area. */
  logs: LogWriter;
  /** stdout of a WASI command: its result. */
  stdout: BoundedBytes | undefined;
  /** stdout of a FunLess-ABI function: log lines. */
  stdoutLines: LineStream | undefined;
  stderr: LineStream;
  /** Last bytes of stderr, for the error message of a failed WASI command. */
  stderrTail: string;
  deadline: number;
  maxOutputBytes: number;
}
