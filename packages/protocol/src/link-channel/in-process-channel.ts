import { LinkProtocolError } from '../frame.js';
import { LINK_LIMITS } from '../messages.js';
import type { CoreMessage, LinkMessage, WorkerMessage } from '../messages.js';
import type { CoreChannel, LinkChannel, LinkChannelEvents, WorkerChannel } from './link-channel.js';
import { ABNORMAL_CLOSE } from './link-channel.js';

/** Shared by the two ends of one pair: once closed, neither end delivers anything new. */
interface PairState {
  closed: boolean;
}

/**
 * One end of an in-process pair. `send` hands the message object itself to the peer, on a
 * microtask: no socket, no framing, no copy (binary fields stay the same `Uint8Array`). Messages
 * come from this process's own typed code, so they are not checked field by field as a frame
 * from the network is; the code payload's bound is still enforced, as over a socket.
 */
class InProcessEnd<Out extends LinkMessage, In extends LinkMessage> implements LinkChannel<Out, In> {
  peer!: InProcessEnd<In, Out>;
  #events: LinkChannelEvents<In> | undefined;
  /** What arrived before `listen`, delivered by it. */
  #early: (() => void)[] | undefined = [];

  constructor(
    readonly remote: string,
    private readonly state: PairState,
  ) {}

  get open(): boolean {
    return !this.state.closed;
  }

  listen(events: LinkChannelEvents<In>): void {
    this.#events = events;
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const deliver of early) deliver();
  }

  send(message: Out): void {
    const code = (message as { code?: Uint8Array }).code;
    if (code !== undefined && code.byteLength > LINK_LIMITS.maxPayloadBytes) {
      throw new LinkProtocolError(
        `code of ${code.byteLength} bytes exceeds the ${LINK_LIMITS.maxPayloadBytes}-byte payload limit`,
      );
    }
    if (this.state.closed) return;
    const peer = this.peer;
    queueMicrotask(() => peer.#receive(() => peer.#events!.message(message)));
  }

  /** Messages never leave the process: there is nothing to seal them against. */
  seal(): void {}

  close(code: number, reason: string): void {
    if (this.state.closed) return;
    this.state.closed = true;
    // After the messages already on their way, as a WebSocket's close frame follows its data.
    for (const end of [this, this.peer] as InProcessEnd<LinkMessage, LinkMessage>[]) {
      queueMicrotask(() => end.#receive(() => end.#events!.close(code, reason)));
    }
  }

  terminate(): void {
    this.close(ABNORMAL_CLOSE, '');
  }

  #receive(deliver: () => void): void {
    if (this.#early) this.#early.push(deliver);
    else deliver();
  }
}

/**
 * Two joined ends of one connection within this process: the Core's end (give it to
 * `CoreCluster`) and the Worker's (return it from a `LinkDialer`).
 */
export function inProcessChannelPair(): { core: CoreChannel; worker: WorkerChannel } {
  const state: PairState = { closed: false };
  const core = new InProcessEnd<CoreMessage, WorkerMessage>('in-process', state);
  const worker = new InProcessEnd<WorkerMessage, CoreMessage>('in-process', state);
  core.peer = worker;
  worker.peer = core;
  return { core, worker };
}
