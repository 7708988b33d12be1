/**
 * Entry point of an invocation thread. Runs one invocation at a time; the main thread keeps the
 * queue and the time limit (it terminates this thread when a guest runs too long).
 *
 * Instances are reused for speed, and isolation is kept by restoring, after every successful
 * invocation, the whole state a Wasm instance has — linear memory, mutable globals, tables — to
 * the snapshot taken right after instantiation. Modules whose state cannot be read back (passive
 * segments, v128 globals), and any instance that trapped, exited or failed, get a fresh instance.
 */
import { isUtf8 } from 'node:buffer';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import {
  ErrorCode,
  FunctionShape,
  INVOCATION_LIMITS,
  INVOKE_EXPORT,
  LogStream,
  runtimeGlobalExport,
  runtimeMemoryExport,
  runtimeTableExport,
  START_EXPORT,
  WASI_IMPORT_MODULE,
  WASM_PAGE_BYTES,
} from '@funless/protocol';
import type { ErrorPayload } from '@funless/protocol';

import { HttpBridgeClient } from '../http/http-bridge.js';
import type { ModuleMeta } from '../module/analyse-module.js';
import { WARM_UP_MODULE } from '../module/warm-up-module.js';
import { flImports } from './fl-imports.js';
import { BoundedBytes, GuestFault, LineStream, ProcExit, type InvocationState } from './invocation-state.js';
import { LogWriter } from './log-area.js';
import type { FromThread, InvokeReply, ThreadConfig, ToThread } from './messages.js';
import { DATA_BYTES, Float, taskViews, Word } from './task-channel.js';
import { wasiImports } from './wasi-preview1.js';

if (!parentPort) throw new Error('invocation-thread.js must run in a worker thread');
const port = parentPort;
const config = workerData as ThreadConfig;
const taskPort = config.port;
const views = taskViews(config.taskBuffer);
const bridge = new HttpBridgeClient(config.httpBuffer);
/** The guest's lines go to the shared log area as they are written: they outlive this thread. */
const logs = new LogWriter(config.logBuffer);
const decoder = new TextDecoder();
const EMPTY_ARGS = new TextEncoder().encode('{}');

const ZERO_PAGE = Buffer.alloc(WASM_PAGE_BYTES);

let current: InvocationState | undefined;
const state = (): InvocationState => {
  if (!current) throw new Error('host function called outside an invocation');
  return current;
};
const post = (msg: FromThread) => port.postMessage(msg);

interface Snapshot {
  /** Size of the memory when the snapshot was taken, in bytes. */
  byteLength: number;
  /**
   * Runs of pages: zero runs are restored with a fill, the others from their saved copy. Only
   * non-zero pages are copied, so a module with a big .bss costs little memory per thread.
   */
  runs: { from: number; to: number; copy: Uint8Array | undefined }[];
  globals: [WebAssembly.Global, unknown][];
  tables: [WebAssembly.Table, unknown[]][];
}

interface Live {
  instance: WebAssembly.Instance;
  memory: WebAssembly.Memory;
  snapshot: Snapshot | undefined;
}

interface Loaded {
  module: WebAssembly.Module;
  meta: ModuleMeta;
  live: Live | undefined;
}

const modules = new Map<number, Loaded>();

function instantiate(loaded: Loaded): Live {
  const wasiNames = WebAssembly.Module.imports(loaded.module)
    .filter((i) => i.module === WASI_IMPORT_MODULE)
    .map((i) => i.name);
  const imports = {
    wasi_snapshot_preview1: wasiImports(wasiNames, state),
    fl_imps: flImports(state, bridge, post),
  };
  const instance = new WebAssembly.Instance(loaded.module, imports);
  const memory = instance.exports[runtimeMemoryExport] as WebAssembly.Memory;
  state().memory = memory;
  const init = loaded.meta.init;
  if (init) {
    try {
      (instance.exports[init] as () => void)();
    } catch (err) {
      // A command's `_start` may end with proc_exit(0): initialisation succeeded.
      if (!(err instanceof ProcExit && err.exitCode === 0)) throw err;
    }
  }
  return {
    instance,
    memory,
    snapshot: loaded.meta.snapshotable ? takeSnapshot(instance, memory, loaded.meta) : undefined,
  };
}

function takeSnapshot(
  instance: WebAssembly.Instance,
  memory: WebAssembly.Memory,
  meta: ModuleMeta,
): Snapshot {
  const live = Buffer.from(memory.buffer);
  const pages = live.length / WASM_PAGE_BYTES;
  const runs: Snapshot['runs'] = [];
  let start = 0;
  let startZero = true;
  for (let page = 0; page <= pages; page++) {
    const zero =
      page < pages &&
      live.compare(ZERO_PAGE, 0, WASM_PAGE_BYTES, page * WASM_PAGE_BYTES, (page + 1) * WASM_PAGE_BYTES) === 0;
    if (page === 0) startZero = zero;
    else if (page === pages || zero !== startZero) {
      const from = start * WASM_PAGE_BYTES;
      const to = page * WASM_PAGE_BYTES;
      runs.push({ from, to, copy: startZero ? undefined : Uint8Array.prototype.slice.call(live, from, to) });
      start = page;
      startZero = zero;
    }
  }
  return {
    byteLength: live.length,
    runs,
    globals: meta.globals.map((i) => {
      const g = instance.exports[runtimeGlobalExport(i)] as WebAssembly.Global;
      return [g, g.value];
    }),
    tables: meta.tables.map((i) => {
      const t = instance.exports[runtimeTableExport(i)] as WebAssembly.Table;
      return [t, Array.from({ length: t.length }, (_, j) => t.get(j))];
    }),
  };
}

/** Puts the instance back in its post-instantiation state; false when that is not possible. */
function restore(live: Live): boolean {
  const snap = live.snapshot;
  if (!snap) return false;
  const buffer = live.memory.buffer;
  // Memory cannot shrink: a grown instance is replaced instead.
  if (buffer.byteLength !== snap.byteLength) return false;
  // Zero pages are filled rather than copied: writing zeros costs a third of a copy.
  const target = new Uint8Array(buffer);
  for (const run of snap.runs) {
    if (run.copy) target.set(run.copy, run.from);
    else target.fill(0, run.from, run.to);
  }
  for (const [g, v] of snap.globals) g.value = v;
  for (const [t, values] of snap.tables) {
    if (t.length !== values.length) return false;
    for (let j = 0; j < values.length; j++) if (t.get(j) !== values[j]) t.set(j, values[j]);
  }
  return true;
}

function fault(code: ErrorCode, message: string): ErrorPayload {
  return { code, message };
}

/** Maps what the guest threw to an error payload. */
function classify(err: unknown, capBytes: number, s: InvocationState, initialBytes: number): ErrorPayload {
  let payload: ErrorPayload;
  if (err instanceof GuestFault) payload = fault(err.code, err.message);
  else if (err instanceof WebAssembly.RuntimeError)
    payload = fault(ErrorCode.Trap, `the function trapped: ${err.message}`);
  else if (err instanceof RangeError && /call stack/i.test(err.message)) {
    payload = fault(ErrorCode.Trap, 'the function trapped: call stack exhausted');
  } else if (err instanceof RangeError && /memory/i.test(err.message)) {
    payload = fault(ErrorCode.MemoryLimit, `could not allocate the function's memory: ${err.message}`);
  } else if (err instanceof WebAssembly.LinkError || err instanceof WebAssembly.CompileError) {
    payload = fault(ErrorCode.InvalidModule, `invalid module: ${err.message}`);
  } else payload = fault(ErrorCode.Internal, `runtime error: ${(err as Error)?.message ?? String(err)}`);
  return memoryLimitOr(payload, capBytes, s, initialBytes);
}

/**
 * A guest that fails after growing its memory close to the cap almost surely failed because of it
 * (a `memory.grow` returned -1 and its allocator gave up): say so rather than "unreachable".
 * "Close" is the last eighth of the capacity, because allocators grow in steps (AssemblyScript's
 * by the size of the block it needs) and fail before the very last page is taken.
 */
function memoryLimitOr(
  payload: ErrorPayload,
  capBytes: number,
  s: InvocationState,
  initialBytes: number,
): ErrorPayload {
  if (
    payload.code !== ErrorCode.Trap &&
    payload.code !== ErrorCode.GuestError &&
    payload.code !== ErrorCode.NoResult
  ) {
    return payload;
  }
  const size = s.memory?.buffer.byteLength ?? 0;
  if (size > initialBytes && size + Math.max(WASM_PAGE_BYTES, capBytes / 8) > capBytes) {
    return fault(
      ErrorCode.MemoryLimit,
      `the function ran out of memory at its capacity of ${Math.round(capBytes / 1024 / 1024)} MiB (${payload.message})`,
    );
  }
  return payload;
}

interface Outcome {
  result?: Uint8Array;
  error?: ErrorPayload;
  /** The guest returned normally: its instance can be restored and reused. */
  clean: boolean;
}

function runGuest(loaded: Loaded, s: RunState): Outcome {
  const exports = loaded.live!.instance.exports;
  const initialBytes = loaded.meta.initialPages * WASM_PAGE_BYTES;
  const capBytes = s.capBytes;
  let exitCode: number | undefined;
  let rc = 0;
  try {
    if (loaded.meta.shape === FunctionShape.FunLess) {
      rc = (exports[INVOKE_EXPORT] as (len: number) => number)(s.input.length);
    } else {
      (exports[START_EXPORT] as () => void)();
      exitCode = 0;
    }
  } catch (err) {
    if (!(err instanceof ProcExit)) return { error: classify(err, capBytes, s, initialBytes), clean: false };
    exitCode = err.exitCode;
  }
  s.stdoutLines?.flush();
  s.stderr.flush();
  const clean = exitCode === undefined;
  const check = (error: ErrorPayload) => ({ error: memoryLimitOr(error, capBytes, s, initialBytes), clean });
  if (loaded.meta.shape === FunctionShape.WasiCommand) {
    if (exitCode !== 0) {
      const message = s.stderrTail.trim() || `the function exited with code ${exitCode}`;
      return check(fault(ErrorCode.GuestError, message));
    }
    const bytes = s.stdout!.bytes();
    if (bytes.every(isJsonSpace)) {
      return check(fault(ErrorCode.NoResult, 'the function wrote no result on stdout'));
    }
    return { result: bytes, clean };
  }
  if (exitCode !== undefined && exitCode !== 0) {
    const message = s.error
      ? errorMessage(s)
      : s.stderrTail.trim() || `the function exited with code ${exitCode}`;
    return check(fault(ErrorCode.GuestError, message));
  }
  if (rc === 0) {
    if (!s.response)
      return check(fault(ErrorCode.NoResult, 'the function returned 0 without a result (__insert_response)'));
    return { result: s.response, clean };
  }
  if (rc === 1) {
    const message = s.error
      ? errorMessage(s)
      : 'the function returned 1 (error) without a message (__insert_error)';
    return check(fault(ErrorCode.GuestError, message));
  }
  return check(
    fault(ErrorCode.BadReturnCode, `__invoke returned ${rc}; a function returns 0 (result) or 1 (error)`),
  );
}

/** Space, tab, line feed, carriage return: the whitespace JSON allows around a value. */
function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** The guest's error message, cut at its bound with a mark saying so. */
function errorMessage(s: InvocationState): string {
  const text = decoder.decode(s.error);
  if (s.errorBytes <= s.error!.length) return text;
  return `${text}… [error message cut at ${INVOCATION_LIMITS.maxErrorMessageBytes} of ${s.errorBytes} bytes]`;
}

/**
 * Checks the guest's result where it leaves the guest, once: UTF-8, then JSON. The bytes
 * themselves go on as they are; the parse only proves they are JSON (it is iterative, so no depth
 * overflows it). Runs here, on the invocation thread, not on the Worker's main thread.
 */
function checkResult(result: Uint8Array): ErrorPayload | undefined {
  if (!isUtf8(result)) {
    return fault(
      ErrorCode.ResultNotJson,
      `the function's result is not valid UTF-8 (${result.length} bytes), so it cannot be JSON`,
    );
  }
  const text = decoder.decode(result);
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    return fault(
      ErrorCode.ResultNotJson,
      `the function's result is not JSON (${(err as Error).message}): ${preview}`,
    );
  }
}

interface RunState extends InvocationState {
  capBytes: number;
}

interface Task {
  id: number;
  moduleId: number;
  capBytes: number;
  input: Uint8Array;
  deadline: number;
}

function invoke(task: Task): void {
  const loaded = modules.get(task.moduleId);
  if (!loaded) {
    return replyByMessage({
      type: 'result',
      id: task.id,
      error: fault(ErrorCode.Internal, `thread lacks module ${task.moduleId}`),
      durationMs: 0,
    });
  }
  logs.reset(task.id);
  const command = loaded.meta.shape === FunctionShape.WasiCommand;
  const s: RunState = {
    memory: loaded.live?.memory as WebAssembly.Memory,
    input: task.input,
    stdinOffset: 0,
    response: undefined,
    error: undefined,
    errorBytes: 0,
    logs,
    stdout: command ? new BoundedBytes(config.maxOutputBytes) : undefined,
    stdoutLines: command ? undefined : new LineStream(logs, LogStream.Stdout),
    stderr: new LineStream(logs, LogStream.Stderr),
    stderrTail: '',
    deadline: task.deadline,
    maxOutputBytes: config.maxOutputBytes,
    capBytes: task.capBytes,
  };
  current = s;
  const started = performance.now();
  let outcome: Outcome;
  try {
    loaded.live ??= instantiate(loaded);
    s.memory = loaded.live.memory;
    outcome = runGuest(loaded, s);
  } catch (err) {
    outcome = {
      error: classify(err, task.capBytes, s, loaded.meta.initialPages * WASM_PAGE_BYTES),
      clean: false,
    };
  }
  const durationMs = performance.now() - started;
  // A last line without its line break is kept, whatever ended the guest (a trap included).
  s.stdoutLines?.flush();
  s.stderr.flush();
  if (outcome.result && !outcome.error) {
    const bad = checkResult(outcome.result);
    // Bad output is the guest's fault, not its instance's: the instance is reused all the same.
    if (bad) outcome = { error: bad, clean: outcome.clean };
  }
  const result = outcome.result;
  if (!outcome.error && result && result.length <= DATA_BYTES) {
    // Fast path: the result goes straight into the shared data area.
    views.data.set(result);
    views.words[Word.ResultLength] = result.length;
    views.floats[Float.DurationMs] = durationMs;
    views.words[Word.ReplyMode] = 0;
    signalReply();
  } else {
    const reply: InvokeReply = { type: 'result', id: task.id, durationMs };
    if (outcome.error) reply.error = outcome.error;
    else reply.result = result;
    replyByMessage(reply);
  }
  // Reset after replying, so that the caller does not wait for it; the next task runs only after.
  current = undefined;
  if (loaded.live && !(outcome.clean && restore(loaded.live))) loaded.live = undefined;
}

function replyByMessage(reply: InvokeReply): void {
  taskPort.postMessage(reply);
  views.words[Word.ReplyMode] = 1;
  signalReply();
}

function signalReply(): void {
  Atomics.store(views.words, Word.Reply, 1);
  Atomics.notify(views.words, Word.Reply);
}

/** Applies what came as messages; returns the inputs that came that way, by task id. */
function drainMessages(): Map<number, Uint8Array> {
  const inputs = new Map<number, Uint8Array>();
  for (let m = receiveMessageOnPort(taskPort); m; m = receiveMessageOnPort(taskPort)) {
    const msg = m.message as ToThread;
    if (msg.type === 'load')
      modules.set(msg.moduleId, { module: msg.module, meta: msg.meta, live: undefined });
    else if (msg.type === 'evict') for (const id of msg.moduleIds) modules.delete(id);
    else inputs.set(msg.id, msg.input);
  }
  return inputs;
}

(new WebAssembly.Instance(new WebAssembly.Module(WARM_UP_MODULE)).exports.run as () => void)();
post({ type: 'ready' });
// This thread never returns to its event loop: it sleeps in Atomics.wait between tasks, and the
// main thread terminates it when a guest runs too long.
// Between tasks it first polls for up to `idleSpinUs`: a task that follows soon is taken without
// the futex wake-up, which costs tens of µs on a virtual machine. It polls only when its task was
// the only one running or queued (calls one after another) and a CPU is free (awake threads plus
// the main thread no more than the CPUs): under load, polling would take the CPU the main thread
// and the rest of the machine need. A poll that finds nothing means calls come further apart than
// the window (e.g. over HTTP): then it does not poll for the next SKIP_AFTER_MISS tasks. Then it says it sleeps (the main thread
// notifies only a sleeping thread; both sides use sequentially consistent atomics, so a task raised
// while the flag changes is seen by one or the other).
const spinMs = config.idleSpinUs / 1000;
const awake = new Int32Array(config.awake);
Atomics.store(awake, config.slot, 1);

/** Tasks for which the thread does not poll after a poll that found nothing. */
const SKIP_AFTER_MISS = 32;
let skipPolls = 0;

/** The slots' words, then the pool's load (invocations running or queued). */
const LOAD = awake.length - 1;

/** Poll only when this thread's task was the only one, and a CPU is free for it. */
function worthPolling(): boolean {
  if (Atomics.load(awake, LOAD) > 1) return false;
  let running = 1; // the main thread
  for (let i = 0; i < LOAD; i++) running += Atomics.load(awake, i);
  return running <= config.cpus;
}

for (;;) {
  if (spinMs > 0 && Atomics.load(views.words, Word.Request) === 0) {
    if (skipPolls > 0) skipPolls--;
    else if (worthPolling()) {
      const until = performance.now() + spinMs;
      while (Atomics.load(views.words, Word.Request) === 0 && performance.now() < until);
      // Polled in vain: the calls come further apart than the window; stop polling for a while.
      if (Atomics.load(views.words, Word.Request) === 0) skipPolls = SKIP_AFTER_MISS;
    }
  }
  if (Atomics.load(views.words, Word.Request) === 0) {
    Atomics.store(awake, config.slot, 0);
    Atomics.store(views.words, Word.Sleeping, 1);
    while (Atomics.load(views.words, Word.Request) === 0) Atomics.wait(views.words, Word.Request, 0);
    Atomics.store(views.words, Word.Sleeping, 0);
    Atomics.store(awake, config.slot, 1);
  }
  Atomics.store(views.words, Word.Request, 0);
  const inputs = drainMessages();
  const words = views.words;
  const id = words[Word.TaskId]!;
  const inputLength = words[Word.InputLength]!;
  const input = inputLength >= 0 ? views.data.subarray(0, inputLength) : (inputs.get(id) ?? EMPTY_ARGS);
  invoke({
    id,
    moduleId: words[Word.ModuleId]!,
    capBytes: words[Word.CapPages]! * WASM_PAGE_BYTES,
    input,
    deadline: views.floats[Float.Deadline]!,
  });
}
