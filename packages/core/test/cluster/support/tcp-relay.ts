// A man in the middle on loopback: a TCP proxy between a Worker and the Core that records every
// byte in both directions and may change the WebSocket frames the Core sends before passing them on.
import { Buffer } from 'node:buffer';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface TcpRelayOptions {
  /** The Core's port on 127.0.0.1. */
  targetPort: number;
  /**
   * Sees (and may change in place) the payload of each binary WebSocket frame the Core sends,
   * before it is passed on to the Worker.
   */
  coreFrame?: (payload: Buffer) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Splits the Core's side of one connection into its HTTP response and WebSocket frames. */
class CoreStream {
  #pending = Buffer.alloc(0);
  #upgraded = false;

  constructor(private readonly onFrame: ((payload: Buffer) => void) | undefined) {}

  /** The bytes to pass on for `chunk` (whole frames only; the rest waits for more). */
  push(chunk: Buffer): Buffer {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    if (!this.#upgraded) {
      const end = this.#pending.indexOf(HEADER_END);
      if (end < 0) return Buffer.alloc(0);
      out.push(this.#pending.subarray(0, end + HEADER_END.length));
      this.#pending = this.#pending.subarray(end + HEADER_END.length);
      this.#upgraded = true;
    }
    for (;;) {
      const frame = this.#nextFrame();
      if (!frame) break;
      out.push(frame);
    }
    return Buffer.concat(out);
  }

  /** The next whole frame (a server's frames are not masked), after `onFrame` saw its payload. */
  #nextFrame(): Buffer | undefined {
    const b = this.#pending;
    if (b.length < 2) return undefined;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (b.length < offset + length) return undefined;
    const frame = Buffer.from(b.subarray(0, offset + length));
    this.#pending = b.subarray(offset + length);
    const opcode = frame[0]! & 0x0f;
    if (opcode === 0x2) this.onFrame?.(frame.subarray(offset));
    return frame;
  }
}

/** A TCP relay on 127.0.0.1 with a port of its own. */
export class TcpRelay {
  /** Every chunk that crossed the relay, either way, as it arrived. */
  readonly recorded: Buffer[] = [];
  connections = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(private readonly options: TcpRelayOptions) {
    this.#server = createServer((worker) => this.#relay(worker));
  }

  static async start(options: TcpRelayOptions): Promise<TcpRelay> {
    const relay = new TcpRelay(options);
    await new Promise<void>((resolve) => relay.#server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Everything recorded, in one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.recorded);
  }

  #relay(worker: Socket): void {
    this.connections++;
    const core = createConnection({ host: '127.0.0.1', port: this.options.targetPort });
    const fromCore = new CoreStream(this.options.coreFrame);
    for (const s of [worker, core]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {});
    }
    worker.on('data', (chunk) => {
      this.recorded.push(chunk);
      core.write(chunk);
    });
    core.on('data', (chunk) => {
      this.recorded.push(chunk);
      const out = fromCore.push(chunk);
      if (out.length > 0) worker.write(out);
    });
    worker.on('close', () => core.destroy());
    core.on('close', () => worker.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
