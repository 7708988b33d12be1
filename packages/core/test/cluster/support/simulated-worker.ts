// A lightweight link client speaking the Worker side of the protocol, without a runtime: for tests
// of the Core's cluster and for benchmarks that join hundreds of Workers to one Core.
import {
  decodeCoreFrame,
  encodeFrame,
  FrameOpener,
  FrameSealer,
  LINK_PROTOCOL_VERSION,
  linkKeys,
  linkNonce,
  workerProof,
} from '@funless/protocol';
import type { CancelMessage, CoreMessage, InvokeMessage, WorkerMessage } from '@funless/protocol';
import { eventually } from '@funless/testing';
import WebSocket from 'ws';

export interface SimulatedWorkerOptions {
  url: string;
  name: string;
  secret: string;
  tag?: string;
  memoryMiB?: number;
  protocol?: number;
  /** Answer pings and send reports. @default true */
  alive?: boolean;
  /** Acknowledge pushes. @default true */
  ack?: boolean;
  /** How an invocation is answered; `undefined` = never. @default echo the input as the result */
  onInvoke?: (message: InvokeMessage, worker: SimulatedWorker) => WorkerMessage | undefined;
  /** How the Core's `cancel` of an invocation is answered; `undefined` = never. @default never */
  onCancel?: (message: CancelMessage, worker: SimulatedWorker) => WorkerMessage | undefined;
}

export class SimulatedWorker {
  readonly received: CoreMessage[] = [];
  readonly ws: WebSocket;
  /** Resolves when joined; rejects with the refusal or close. */
  readonly joined: Promise<void>;
  /** Resolves with the close code when the connection closes. */
  readonly closed: Promise<number>;
  stored = new Map<string, Uint8Array>();
  /** Set once joined: frames are sealed from then on, as a real Worker's. */
  #sealer: FrameSealer | undefined;
  #opener: FrameOpener | undefined;

  constructor(readonly options: SimulatedWorkerOptions) {
    const url = new URL(options.url);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/link';
    url.protocol = url.protocol.replace('http', 'ws');
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    const nonce = linkNonce();
    let coreNonce = '';
    let resolveJoin!: () => void;
    let rejectJoin!: (e: Error) => void;
    this.joined = new Promise((resolve, reject) => {
      resolveJoin = resolve;
      rejectJoin = reject;
    });
    this.joined.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code) => {
        rejectJoin(new Error(`closed with ${code}`));
        resolve(code);
      });
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer) => {
      for (const frame of this.#opener ? this.#opener.open(data) : [data]) receive(frame);
    });
    const receive = (frame: Uint8Array): void => {
      const message = decodeCoreFrame(frame);
      this.received.push(message);
      const o = this.options;
      switch (message.type) {
        case 'challenge':
          coreNonce = message.nonce;
          this.send({
            type: 'join',
            protocol: o.protocol ?? LINK_PROTOCOL_VERSION,
            name: o.name,
            tag: o.tag ?? 'default',
            memoryTotalMiB: o.memoryMiB ?? 1024,
            memoryFreeMiB: o.memoryMiB ?? 1024,
            threads: 1,
            version: 'sim',
            nonce,
            proof: workerProof(o.secret, message.nonce, nonce, o.name),
          });
          return;
        case 'join_accepted': {
          const keys = linkKeys(o.secret, coreNonce, nonce, o.name, 'worker');
          this.#sealer = new FrameSealer(keys.send);
          this.#opener = new FrameOpener(keys.receive);
          resolveJoin();
          return;
        }
        case 'join_refused':
          rejectJoin(new Error(`${message.error.code}: ${message.error.message}`));
          return;
        case 'ping':
          if (o.alive ?? true) this.send({ type: 'pong', at: message.at });
          return;
        case 'store':
          this.stored.set(`${message.module}/${message.name}`, message.code);
          if (o.ack ?? true) this.send({ type: 'ack', id: message.id });
          return;
        case 'drop':
          this.stored.delete(`${message.module}/${message.name}`);
          if (o.ack ?? true) this.send({ type: 'ack', id: message.id });
          return;
        case 'invoke': {
          const answer = o.onInvoke
            ? o.onInvoke(message, this)
            : { type: 'result' as const, id: message.id, result: message.input, durationMs: 0 };
          if (answer) this.send(answer);
          return;
        }
        case 'cancel': {
          const answer = o.onCancel?.(message, this);
          if (answer) this.send(answer);
          return;
        }
        default:
          return;
      }
    };
  }

  send(message: WorkerMessage): void {
    this.sendFrame(encodeFrame(message));
  }

  /** Sends `frame` as it is (sealed once joined). */
  sendFrame(frame: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(this.#sealer ? this.#sealer.seal([frame]) : frame);
  }

  /** Waits until a message of `type` arrived (up to `timeoutMs`). */
  async waitFor<T extends CoreMessage['type']>(
    type: T,
    timeoutMs = 5_000,
  ): Promise<Extract<CoreMessage, { type: T }>> {
    const found = await eventually(
      () => this.received.find((m) => m.type === type),
      `${this.options.name} got a ${type}`,
      {
        timeoutMs,
      },
    );
    return found as Extract<CoreMessage, { type: T }>;
  }

  close(): void {
    this.ws.terminate();
  }
}
