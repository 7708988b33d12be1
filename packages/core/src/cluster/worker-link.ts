import { ErrorCode, FlError } from '@funless/protocol';
import type { CoreChannel, CoreMessage, WorkerMessage } from '@funless/protocol';

/** Answers the Core waits for, by the request id they repeat. */
export type WorkerAnswer = Extract<
  WorkerMessage,
  { type: 'ack' | 'result' | 'invoke_error' | 'cancel_reply' }
>;

interface Pending {
  resolve: (answer: WorkerAnswer) => void;
  reject: (error: FlError) => void;
  timer: NodeJS.Timeout;
}

/**
 * The Core's end of one Worker's connection, over either transport: sends messages and keeps the
 * requests waiting for an answer, each with a time bound. When the connection goes away every
 * pending request is rejected at once with `worker_lost`, so no caller ever waits on a dead Worker.
 */
export class WorkerLink {
  /** The Worker's name once it joined. */
  name: string | undefined;
  /** When the last message arrived, in ms since the epoch. */
  lastSeen: number;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  /**
   * @param unsentBytes bytes sent on this connection but not yet written to the peer (a
   *   WebSocket's `bufferedAmount`; none in process, where messages are handed across)
   */
  constructor(
    readonly channel: CoreChannel,
    readonly unsentBytes: () => number = () => 0,
  ) {
    this.lastSeen = Date.now();
  }

  /** Who is on the other end, for logs. */
  get remote(): string {
    return this.channel.remote;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a message; throws `LinkProtocolError` if it exceeds the link's bounds. */
  send(message: CoreMessage): void {
    if (this.#closed) return;
    this.channel.send(message);
  }

  /**
   * Sends `message` (a request whose id is `id`) and resolves with the answer repeating that id.
   * Rejects with `timeout` after `timeoutMs`, with `worker_lost` if the connection closes first.
   */
  request(id: number, message: CoreMessage, timeoutMs: number, what: string): Promise<WorkerAnswer> {
    if (this.#closed) return Promise.reject(this.#lost());
    try {
      // Before waiting: a message over the bounds fails at once. The answer cannot come before
      // the request is registered below: a channel never delivers synchronously.
      this.channel.send(message);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new FlError(
            ErrorCode.Timeout,
            `Worker "${this.name}" did not answer ${what} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
  }

  /** Delivers an answer; false if no request waits for that id (late or unknown). */
  answer(message: WorkerAnswer): boolean {
    const pending = this.#pending.get(message.id);
    if (!pending) return false;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    pending.resolve(message);
    return true;
  }

  /** Closes the connection (if still open) and fails every pending request with `worker_lost`. */
  close(code: number, reason: string): void {
    if (!this.#closed) {
      this.#closed = true;
      this.channel.close(code, reason);
    }
    this.failPending();
  }

  /** Fails every request waiting on this link with `worker_lost` (it left scheduling or closed). */
  failPending(): void {
    if (this.#pending.size === 0) return;
    const error = this.#lost();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }

  #lost(): FlError {
    return new FlError(
      ErrorCode.WorkerLost,
      `Worker "${this.name ?? this.remote}" disconnected before answering; the invocation did not complete`,
    );
  }
}
