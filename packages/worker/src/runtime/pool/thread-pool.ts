import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

import { ErrorCode, FlError, WASM_PAGE_BYTES } from '@funless/protocol';
import type { CapturedLogs } from '@funless/protocol';

import { LruCache } from '../cache/lru-cache.js';
import { createHttpBuffer, writeHttpAnswer } from '../http/http-bridge.js';
import { performHttp } from '../http/http-performer.js';
import type { ModuleMeta } from '../module/analyse-module.js';
import { InvocationError } from '../invocation-error.js';
import type { ResolvedRuntimeOptions } from '../runtime-options.js';
import { createLogArea, readLogArea } from '../thread/log-area.js';
import type { FromThread, InvokeReply, ThreadConfig, ToThread } from '../thread/messages.js';
import {
  createTaskBuffer,
  DATA_BYTES,
  Float,
  taskViews,
  Word,
  type TaskViews,
} from '../thread/task-channel.js';

const THREAD_SCRIPT = new URL('../thread/invocation-thread.js', import.meta.url);

/** One invocation as the pool sees it. */
export interface PoolTask {
  key: string;
  module: WebAssembly.Module;
  meta: ModuleMeta;
  capBytes: number;
  /** The raw JSON input, handed to the guest as it is. */
  input: Uint8Array;
  timeoutMs: number;
  /**
   * Drops the task while it waits in the queue: `run` rejects with the signal's reason (an
   * `FlError`) and the task never reaches a thread. Once started, the signal is ignored.
   */
  signal?: AbortSignal;
  /** Called once, synchronously, when the task is handed to a thread. */
  onStart?: () => void;
  /** Depth of the call chain the invocation is part of (see `CHAIN_DEPTH_HEADER`). @default 0 */
  chainDepth?: number;
}

/** A thread's reply with the lines its guest printed (read from the thread's log area). */
export type PoolReply = InvokeReply & CapturedLogs;

interface Pending {
  task: PoolTask;
  resolve: (reply: PoolReply) => void;
  reject: (err: FlError) => void;
  /** Removes the task from the queue when its signal aborts; detached when it starts. */
  onAbort?: () => void;
}

interface Running extends Pending {
  id: number;
  timer: NodeJS.Timeout;
  /** `performance.now()` when the thread took it. */
  startedAt: number;
  /** The time limit passed: the next wake-up ends the invocation. */
  expired: boolean;
}

/** Why a task was dropped before it started: the signal's reason when it is an `FlError`. */
function abortReason(signal: AbortSignal): FlError {
  const reason: unknown = signal.reason;
  if (reason instanceof FlError) return reason;
  return new FlError(ErrorCode.Timeout, 'the invocation was cancelled before it started, so it did not run');
}

class PoolThread {
  readonly worker: Worker;
  readonly httpBuffer: SharedArrayBuffer;
  /** The guest's lines, written as they come: still readable once the thread is terminated. */
  readonly logBuffer: SharedArrayBuffer;
  readonly views: TaskViews;
  readonly port: MessagePort;
  /** Mirror of the modules the thread holds (by key); evictions are sent before the next task. */
  readonly loaded: LruCache<string, true>;
  evictions: string[] = [];
  running: Running | undefined;
  /** Retires the thread when it stays idle (see `threadIdleMs`). */
  idleTimer: NodeJS.Timeout | undefined;
  /** The thread has started and said so: only then does it get tasks (and their time limits). */
  ready = false;
  dead = false;
  /**
   * The guest's `__http_request` in flight (its sequence number): the thread sleeps until the
   * answer, so it does not count against `threads` meanwhile.
   */
  httpSeq: number | undefined;

  constructor(
    options: ResolvedRuntimeOptions,
    readonly slot: number,
    awake: SharedArrayBuffer,
  ) {
    this.httpBuffer = createHttpBuffer(options.http.maxResponseBytes);
    this.logBuffer = createLogArea(options.maxLogBytes);
    const taskBuffer = createTaskBuffer();
    this.views = taskViews(taskBuffer);
    this.loaded = new LruCache(options.compiledCacheSize);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const workerData: ThreadConfig = {
      maxOutputBytes: options.maxOutputBytes,
      maxLogBytes: options.maxLogBytes,
      idleSpinUs: options.idleSpinUs,
      awake,
      slot,
      cpus: availableParallelism(),
      httpBuffer: this.httpBuffer,
      taskBuffer,
      logBuffer: this.logBuffer,
      port: port2,
    };
    this.worker = new Worker(THREAD_SCRIPT, { workerData, transferList: [port2] });
  }
}

/**
 * Invocation threads and a bounded queue in front of them. Threads start on demand, up to
 * `options.threads`, and end after `threadIdleMs` idle, all but the last: a Worker with nothing to
 * run holds none (each costs about 9 MiB). Tasks go to an idle, started thread only, so a task's time limit starts when a thread
 * takes it; a thread that passes it is terminated (the only way to stop a looping guest) and replaced.
 *
 * A thread whose guest waits for an outbound HTTP answer does not count against `threads`: while it
 * sleeps, another thread may start and take a queued task, up to `maxThreads` in all, so that a
 * function calling a function on the same Worker does not wait for its own thread. Tasks still go
 * to threads only while fewer than `threads` guests compute.
 */
export class ThreadPool {
  private readonly threads: PoolThread[] = [];
  private readonly queue: Pending[] = [];
  /** Numbers standing for module keys in the task words. */
  private readonly moduleIds = new Map<string, number>();
  private nextId = 1;
  private nextModuleId = 1;
  private closed = false;
  private readyWaiters: { resolve: () => void; reject: (err: FlError) => void }[] = [];
  /** Aborts the guests' HTTP requests still in flight when the pool closes. */
  private readonly httpCancel = new AbortController();
  /**
   * Which threads are awake, one word per slot, then the load: invocations running or queued (see
   * `ThreadConfig.awake`).
   */
  private readonly awake: Int32Array;
  private readonly freeSlots: number[];

  constructor(private readonly options: ResolvedRuntimeOptions) {
    const slots = options.maxThreads;
    this.awake = new Int32Array(new SharedArrayBuffer(4 * (slots + 1)));
    this.freeSlots = Array.from({ length: slots }, (_, i) => slots - 1 - i);
  }

  /**
   * Makes sure at least one thread runs, so that the next invocation does not wait for one to
   * start. Resolves when a thread is ready; rejects when it fails to start or takes longer than
   * `timeoutMs` (a broken installation).
   */
  warm(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return Promise.reject(new FlError(ErrorCode.Internal, 'the runtime is closed'));
    if (this.threads.some((t) => t.ready && !t.dead)) return Promise.resolve();
    if (!this.threads.some((t) => !t.dead)) this.threads.push(this.spawn());
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: FlError) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(new FlError(ErrorCode.Internal, `no invocation thread started within ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  stats(): { threads: number; busy: number; queued: number; loaded: number; waitingHttp: number } {
    let loaded = 0;
    for (const t of this.threads) if (!t.dead) loaded += t.loaded.size;
    return {
      threads: this.threads.length,
      busy: this.count((t) => !!t.running),
      queued: this.queue.length,
      loaded,
      waitingHttp: this.count((t) => !!t.running && t.httpSeq !== undefined),
    };
  }

  run(task: PoolTask): Promise<PoolReply> {
    if (this.closed) return Promise.reject(new FlError(ErrorCode.Internal, 'the runtime is closed'));
    const signal = task.signal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const pending: Pending = { task, resolve, reject };
      if (this.computing() < this.options.threads) {
        for (const t of this.threads) {
          if (t.ready && !t.running && !t.dead) return this.dispatch(t, pending);
        }
      }
      // Tasks waiting for a thread that is starting, or may still start, do not count against the
      // queue's bound: only those waiting because every thread is busy do.
      const ready = this.count((t) => t.ready && !t.dead);
      if (this.queue.length >= this.options.queueLimit + Math.max(0, this.options.threads - ready)) {
        return reject(
          new FlError(
            ErrorCode.Overloaded,
            `the Worker is overloaded: ${this.queue.length} invocations already wait for a thread (the queue holds ${this.options.queueLimit})`,
          ),
        );
      }
      if (signal) {
        pending.onAbort = () => {
          const index = this.queue.indexOf(pending);
          if (index < 0) return;
          this.queue.splice(index, 1);
          this.publishLoad();
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.queue.push(pending);
      this.publishLoad();
      this.grow();
    });
  }

  /**
   * Threads that count against `threads`: every live one (starting, idle or running) except those
   * whose guest sleeps until an outbound HTTP answer.
   */
  private counted(): number {
    return this.count((t) => !t.dead && !(t.running && t.httpSeq !== undefined));
  }

  /** Threads running a guest that is not waiting for an HTTP answer. */
  private computing(): number {
    return this.count((t) => !!t.running && t.httpSeq === undefined && !t.dead);
  }

  /**
   * Starts another thread when queued tasks outnumber the threads still starting, while the
   * threads that count stay under `threads` and all of them under `maxThreads`.
   */
  private grow(): void {
    const starting = this.count((t) => !t.ready && !t.dead);
    if (
      starting < this.queue.length &&
      this.counted() < this.options.threads &&
      this.count((t) => !t.dead) < this.options.maxThreads
    ) {
      this.threads.push(this.spawn());
    }
  }

  /** Hands queued tasks to idle threads while fewer than `threads` compute, then starts more if due. */
  private pump(): void {
    for (const t of this.threads) {
      if (this.queue.length === 0 || this.computing() >= this.options.threads) break;
      if (t.ready && !t.running && !t.dead) this.dispatch(t, this.queue.shift()!);
    }
    if (this.queue.length > 0) this.grow();
  }

  /** Tells every thread to forget the modules compiled from this hash (any capacity). */
  evictHash(hash: string): void {
    const prefix = `${hash}/`;
    for (const t of this.threads) {
      const held = [...t.loaded.keys()].filter((k) => k.startsWith(prefix));
      for (const k of held) t.loaded.delete(k);
      if (held.length > 0) this.send(t, { type: 'evict', moduleIds: held.map((k) => this.moduleId(k)) });
    }
    for (const k of [...this.moduleIds.keys()]) if (k.startsWith(prefix)) this.moduleIds.delete(k);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.httpCancel.abort();
    const closing = new FlError(ErrorCode.Internal, 'the runtime was closed');
    for (const p of this.queue.splice(0)) this.fail(p, closing);
    for (const w of this.readyWaiters.splice(0)) w.reject(closing);
    // A thread's exit event comes through this thread's event loop, and an idle (unref'd) thread
    // that is terminating does not keep that loop alive, even after ref(): without this timer the
    // process could run out of work first and leave close() pending (seen under load: 6 runs in 40).
    const keepAlive = setInterval(() => {}, 1000);
    await Promise.all(
      this.threads.map((t) => {
        if (t.running) {
          clearTimeout(t.running.timer);
          t.running.reject(closing);
          t.running = undefined;
        }
        Atomics.notify(t.views.words, Word.Reply);
        return this.stop(t);
      }),
    ).finally(() => clearInterval(keepAlive));
  }

  private spawn(): PoolThread {
    // A slot is free whenever fewer than `threads` threads live: dead ones give theirs back.
    const slot = this.freeSlots.pop()!;
    const thread = new PoolThread(this.options, slot, this.awake.buffer as SharedArrayBuffer);
    thread.worker.on('message', (msg: FromThread) => this.onMessage(thread, msg));
    thread.worker.on('error', (err) =>
      this.lost(
        thread,
        new FlError(ErrorCode.Internal, `invocation thread failed: ${err.message}`, { cause: err }),
      ),
    );
    thread.worker.on('exit', (code) =>
      this.lost(thread, new FlError(ErrorCode.Internal, `invocation thread exited with code ${code}`)),
    );
    return thread;
  }

  private moduleId(key: string): number {
    let id = this.moduleIds.get(key);
    if (id === undefined) {
      id = this.nextModuleId++;
      this.moduleIds.set(key, id);
    }
    return id;
  }

  private send(thread: PoolThread, msg: ToThread): void {
    thread.port.postMessage(msg);
  }

  /** Rejects a task that never started, detaching it from its signal. */
  private fail(pending: Pending, err: FlError): void {
    if (pending.onAbort) pending.task.signal?.removeEventListener('abort', pending.onAbort);
    pending.reject(err);
  }

  private dispatch(thread: PoolThread, pending: Pending): void {
    clearTimeout(thread.idleTimer);
    thread.idleTimer = undefined;
    const { task } = pending;
    // Started: from here the time limit governs, the signal no longer does.
    if (pending.onAbort) task.signal?.removeEventListener('abort', pending.onAbort);
    thread.httpSeq = undefined;
    task.onStart?.();
    const id = this.nextId++;
    const { words, floats } = thread.views;
    const moduleId = this.moduleId(task.key);
    if (!thread.loaded.get(task.key)) {
      this.send(thread, { type: 'load', moduleId, module: task.module, meta: task.meta });
      thread.evictions.push(...thread.loaded.set(task.key, true));
    }
    if (thread.evictions.length > 0) {
      this.send(thread, { type: 'evict', moduleIds: thread.evictions.map((k) => this.moduleId(k)) });
      thread.evictions = [];
    }
    words[Word.TaskId] = id;
    words[Word.ModuleId] = moduleId;
    words[Word.CapPages] = task.capBytes / WASM_PAGE_BYTES;
    floats[Float.Deadline] = Date.now() + task.timeoutMs;
    if (task.input.byteLength <= DATA_BYTES) {
      thread.views.data.set(task.input);
      words[Word.InputLength] = task.input.byteLength;
    } else {
      this.send(thread, { type: 'input', id, input: task.input });
      words[Word.InputLength] = -1;
    }
    // A JS timer is much cheaper than a timeout on Atomics.waitAsync (which goes through the
    // platform's delayed-task queue and a cross-thread wake-up on every call).
    const timer = setTimeout(() => this.expire(thread, id), task.timeoutMs);
    thread.running = {
      task,
      resolve: pending.resolve,
      reject: pending.reject,
      id,
      timer,
      startedAt: performance.now(),
      expired: false,
    };
    this.publishLoad();
    thread.worker.ref();
    Atomics.store(words, Word.Reply, 0);
    Atomics.store(words, Word.Request, 1);
    if (Atomics.load(words, Word.Sleeping) === 1) Atomics.notify(words, Word.Request);
    this.await(thread, id);
  }

  /** Time limit reached: wake our own wait so that `settle` ends the invocation. */
  private expire(thread: PoolThread, id: number): void {
    const running = thread.running;
    if (!running || running.id !== id) return;
    running.expired = true;
    Atomics.notify(thread.views.words, Word.Reply);
  }

  /**
   * Waits for the reply flag. A wake-up can be stale (the thread's notify for the previous task may
   * land after this wait started), so the flag itself decides.
   */
  private await(thread: PoolThread, id: number): void {
    const wait = Atomics.waitAsync(thread.views.words, Word.Reply, 0);
    if (wait.async) void wait.value.then(() => this.settle(thread, id));
    else this.settle(thread, id);
  }

  private settle(thread: PoolThread, id: number): void {
    const running = thread.running;
    if (!running || running.id !== id || thread.dead) return;
    if (Atomics.load(thread.views.words, Word.Reply) === 0) {
      if (!running.expired) return this.await(thread, id);
      // The lines the guest wrote before it was stopped stay in the log area.
      const captured = readLogArea(thread.logBuffer, id);
      this.replace(thread);
      running.reject(
        new InvocationError(
          {
            code: ErrorCode.Timeout,
            message: `the invocation passed its time limit of ${running.task.timeoutMs} ms and was stopped`,
          },
          captured,
          performance.now() - running.startedAt,
        ),
      );
      return;
    }
    clearTimeout(running.timer);
    const { words, floats } = thread.views;
    let reply: InvokeReply | undefined;
    if (words[Word.ReplyMode] === 0) {
      reply = {
        type: 'result',
        id,
        result: thread.views.data.slice(0, words[Word.ResultLength]),
        durationMs: floats[Float.DurationMs]!,
      };
    } else {
      const msg = receiveMessageOnPort(thread.port)?.message as InvokeReply | undefined;
      if (msg?.id === id) reply = msg;
    }
    thread.running = undefined;
    if (reply) running.resolve({ ...reply, ...readLogArea(thread.logBuffer, id) });
    else running.reject(new FlError(ErrorCode.Internal, 'the invocation thread answered without a reply'));
    this.next(thread);
  }

  private onMessage(thread: PoolThread, msg: FromThread): void {
    if (msg.type === 'ready') {
      thread.ready = true;
      for (const w of this.readyWaiters.splice(0)) w.resolve();
      this.next(thread);
      return;
    }
    // The guest sleeps until the answer: its thread stops counting, so a queued task (perhaps the
    // very function it calls) may start on another one.
    const running = thread.running;
    thread.httpSeq = running ? msg.seq : undefined;
    if (running) this.pump();
    const depth = running?.task.chainDepth ?? 0;
    const extras = { cancel: this.httpCancel.signal, chainDepth: depth };
    void performHttp(msg, this.options.http, extras).then((answer) => {
      if (thread.httpSeq === msg.seq) thread.httpSeq = undefined;
      writeHttpAnswer(thread.httpBuffer, msg.seq, answer);
    });
  }

  private next(thread: PoolThread): void {
    thread.httpSeq = undefined;
    if (this.queue.length > 0 && this.computing() < this.options.threads) {
      return this.dispatch(thread, this.queue.shift()!);
    }
    this.publishLoad();
    // A thread beyond `threads` (started while others waited for HTTP answers) ends when idle for
    // threadIdleMs like the others, so that sustained HTTP waits reuse it; at once when threads
    // never end (threadIdleMs 0), so that the pool still goes back to `threads`.
    if (this.options.threadIdleMs === 0 && this.count((t) => !t.dead) > this.options.threads) {
      return this.discard(thread);
    }
    // Idle threads must not keep the process alive; starting and busy ones do.
    thread.worker.unref();
    if (this.options.threadIdleMs > 0) {
      clearTimeout(thread.idleTimer);
      thread.idleTimer = setTimeout(() => this.retire(thread), this.options.threadIdleMs);
      thread.idleTimer.unref();
    }
  }

  /**
   * Tells the threads how many invocations run or wait: a thread polls for its next task only when
   * its own was the only one (calls one after another), never under load, where polling would take
   * CPU the rest of the machine needs.
   */
  private publishLoad(): void {
    Atomics.store(this.awake, this.options.threads, this.queue.length + this.count((t) => !!t.running));
  }

  private count(predicate: (thread: PoolThread) => boolean): number {
    let n = 0;
    for (const t of this.threads) if (predicate(t)) n++;
    return n;
  }

  /**
   * Terminates a thread and gives its slot back (a thread stopped while awake cannot clear its
   * word); resolves when it has exited.
   */
  private stop(thread: PoolThread): Promise<number> {
    thread.dead = true;
    clearTimeout(thread.idleTimer);
    thread.port.close();
    Atomics.store(this.awake, thread.slot, 0);
    this.freeSlots.push(thread.slot);
    return thread.worker.terminate();
  }

  /**
   * Ends a thread that stayed idle for `threadIdleMs`, giving its memory back (about 9 MiB, and its
   * instances' linear memory), unless it is the last one: that one stays, so that the next
   * invocation does not wait for a thread to start.
   */
  private retire(thread: PoolThread): void {
    thread.idleTimer = undefined;
    if (this.closed || thread.dead || thread.running || !thread.ready) return;
    if (this.count((t) => !t.dead) <= 1) return;
    this.discard(thread);
  }

  /** Stops an idle thread and forgets it. */
  private discard(thread: PoolThread): void {
    void this.stop(thread);
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
  }

  private lost(thread: PoolThread, err: FlError): void {
    if (thread.dead) return;
    const running = thread.running;
    if (running) clearTimeout(running.timer);
    const captured = running && readLogArea(thread.logBuffer, running.id);
    this.replace(thread, err);
    if (running && captured) {
      running.reject(new InvocationError(err.toPayload(), captured, performance.now() - running.startedAt));
    }
  }

  /**
   * Terminates a thread (if still alive). A thread that had started is replaced at once, so the pool
   * keeps the threads its load called for. One that died while starting is dropped; when no other
   * thread is there to take them, the waiting tasks fail with its error (the next task tries again).
   */
  private replace(thread: PoolThread, err?: FlError): void {
    if (thread.dead) return;
    thread.running = undefined;
    void this.stop(thread);
    // Release our own pending Atomics.waitAsync on this thread's buffer (settle ignores dead threads).
    Atomics.notify(thread.views.words, Word.Reply);
    if (this.closed) return;
    const index = this.threads.indexOf(thread);
    if (thread.ready) {
      // Replaced at once, unless it was one of the extra threads started during HTTP waits.
      if (index >= 0) {
        if (this.count((t) => !t.dead) < this.options.threads) this.threads[index] = this.spawn();
        else this.threads.splice(index, 1);
      }
      this.pump();
      return;
    }
    if (index >= 0) this.threads.splice(index, 1);
    if (this.threads.some((t) => !t.dead)) return;
    const failure = new FlError(
      ErrorCode.Internal,
      `no invocation thread could start: ${err?.message ?? 'it stopped while starting'}`,
      { cause: err },
    );
    for (const p of this.queue.splice(0)) this.fail(p, failure);
    for (const w of this.readyWaiters.splice(0)) w.reject(failure);
  }
}
