import { Worker } from 'node:worker_threads';

import { ErrorCode, FlError } from '@funless/protocol';

import { LruCache } from '../cache/lru-cache.js';
import { createHttpBuffer, writeHttpAnswer } from '../http/http-bridge.js';
import { performHttp } from '../http/http-performer.js';
import type { ModuleMeta } from '../module/analyse-module.js';
import type { ResolvedRuntimeOptions } from '../runtime-options.js';
import type { FromThread, InvokeReply, InvokeTask, ThreadConfig } from '../thread/messages.js';

const THREAD_SCRIPT = new URL('../thread/invocation-thread.js', import.meta.url);

/** One invocation as the pool sees it. */
export interface PoolTask {
  key: string;
  module: WebAssembly.Module;
  meta: ModuleMeta;
  capBytes: number;
  input: string;
  timeoutMs: number;
}

interface Pending {
  task: PoolTask;
  resolve: (reply: InvokeReply) => void;
  reject: (err: FlError) => void;
}

interface Running extends Pending {
  id: number;
  timer: NodeJS.Timeout;
}

class PoolThread {
  readonly worker: Worker;
  readonly httpBuffer: SharedArrayBuffer;
  /** Mirror of the modules the thread holds; evictions are sent along with the next task. */
  readonly loaded: LruCache<string, true>;
  evictions: string[] = [];
  running: Running | undefined;
  /** The thread has started and said so: only then does it get tasks (and their time limits). */
  ready = false;
  dead = false;

  constructor(options: ResolvedRuntimeOptions) {
    this.httpBuffer = createHttpBuffer(options.http.maxResponseBytes);
    this.loaded = new LruCache(options.compiledCacheSize);
    const workerData: ThreadConfig = {
      maxOutputBytes: options.maxOutputBytes,
      maxLogBytes: options.maxLogBytes,
      httpBuffer: this.httpBuffer,
    };
    this.worker = new Worker(THREAD_SCRIPT, { workerData });
  }
}

/**
 * A fixed set of invocation threads and a bounded queue in front of them. Tasks go to an idle
 * thread only, so a task's time limit starts when a thread takes it; a thread that passes it is
 * terminated (the only way to stop a looping guest) and replaced.
 */
export class ThreadPool {
  private readonly threads: PoolThread[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly options: ResolvedRuntimeOptions) {
    for (let i = 0; i < options.threads; i++) this.threads.push(this.spawn());
  }

  /** Resolves when every thread has started, or after `timeoutMs` (tasks queue meanwhile anyway). */
  started(timeoutMs = 10_000): Promise<void> {
    if (this.threads.every((t) => t.ready)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stats(): { threads: number; busy: number; queued: number } {
    return {
      threads: this.threads.length,
      busy: this.threads.filter((t) => t.running).length,
      queued: this.queue.length,
    };
  }

  run(task: PoolTask): Promise<InvokeReply> {
    if (this.closed) return Promise.reject(new FlError(ErrorCode.Internal, 'the runtime is closed'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { task, resolve, reject };
      const idle = this.threads.find((t) => t.ready && !t.running && !t.dead);
      if (idle) return this.dispatch(idle, pending);
      if (this.queue.length >= this.options.queueLimit) {
        return reject(
          new FlError(
            ErrorCode.Overloaded,
            `the Worker is overloaded: ${this.queue.length} invocations already wait for a thread`,
          ),
        );
      }
      this.queue.push(pending);
    });
  }

  /** Tells every thread to forget these modules. */
  evict(keys: string[]): void {
    for (const t of this.threads) {
      const held = keys.filter((k) => t.loaded.delete(k));
      if (held.length > 0) t.worker.postMessage({ type: 'evict', keys: held });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new FlError(ErrorCode.Internal, 'the runtime was closed');
    for (const p of this.queue.splice(0)) p.reject(closing);
    await Promise.all(
      this.threads.map((t) => {
        t.dead = true;
        if (t.running) {
          clearTimeout(t.running.timer);
          t.running.reject(closing);
          t.running = undefined;
        }
        return t.worker.terminate();
      }),
    );
  }

  private spawn(): PoolThread {
    const thread = new PoolThread(this.options);
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

  private dispatch(thread: PoolThread, pending: Pending): void {
    const { task } = pending;
    const id = this.nextId++;
    const message: InvokeTask = {
      type: 'invoke',
      id,
      key: task.key,
      capBytes: task.capBytes,
      input: task.input,
      deadline: Date.now() + task.timeoutMs,
    };
    if (!thread.loaded.get(task.key)) {
      message.module = task.module;
      message.meta = task.meta;
      thread.evictions.push(...thread.loaded.set(task.key, true));
    }
    if (thread.evictions.length > 0) {
      message.evict = thread.evictions;
      thread.evictions = [];
    }
    const timer = setTimeout(() => this.timeout(thread), task.timeoutMs);
    thread.running = { ...pending, id, timer };
    thread.worker.ref();
    thread.worker.postMessage(message);
  }

  private onMessage(thread: PoolThread, msg: FromThread): void {
    if (msg.type === 'ready') {
      thread.ready = true;
      if (this.threads.every((t) => t.ready)) for (const wake of this.readyWaiters.splice(0)) wake();
      this.next(thread);
      return;
    }
    if (msg.type === 'http') {
      void performHttp(msg, this.options.http).then((answer) =>
        writeHttpAnswer(thread.httpBuffer, msg.seq, answer),
      );
      return;
    }
    const running = thread.running;
    if (!running || running.id !== msg.id) return;
    clearTimeout(running.timer);
    thread.running = undefined;
    running.resolve(msg);
    this.next(thread);
  }

  private next(thread: PoolThread): void {
    const pending = this.queue.shift();
    if (pending) this.dispatch(thread, pending);
    // Idle threads must not keep the process alive; starting and busy ones do.
    else thread.worker.unref();
  }

  private timeout(thread: PoolThread): void {
    const running = thread.running;
    if (!running) return;
    this.replace(thread);
    running.reject(
      new FlError(
        ErrorCode.Timeout,
        `the invocation passed its time limit of ${running.task.timeoutMs} ms and was stopped`,
      ),
    );
  }

  private lost(thread: PoolThread, err: FlError): void {
    if (thread.dead) return;
    const running = thread.running;
    this.replace(thread);
    if (running) running.reject(err);
  }

  /** Terminates a thread (if still alive) and puts a fresh one in its place. */
  private replace(thread: PoolThread): void {
    if (thread.dead) return;
    thread.dead = true;
    if (thread.running) clearTimeout(thread.running.timer);
    thread.running = undefined;
    void thread.worker.terminate();
    if (this.closed) return;
    const index = this.threads.indexOf(thread);
    const fresh = this.spawn();
    if (index >= 0) this.threads[index] = fresh;
  }
}
