/**
 * WASI preview1 for guests, written here rather than taken from `node:wasi` so that the sandbox is
 * exactly what FunLess promises: no filesystem (no preopens), no sockets, no host environment or
 * arguments; real clocks and random; stdin is the invocation's input, stdout/stderr are captured.
 */
import { getRandomValues } from 'node:crypto';

import { ErrorCode, WASI_NOT_CAPABLE } from '@funless/protocol';

import { GuestMemory, GuestMemoryFault, unsigned } from './guest-memory.js';
import { GuestFault, ProcExit, type InvocationState } from './invocation-state.js';

const Errno = {
  Success: 0,
  Badf: 8,
  Fault: 21,
  Inval: 28,
  Nosys: 52,
  Spipe: 70,
  Notcapable: 76,
} as const;

const FILETYPE_CHARACTER_DEVICE = 2;
/** Most bytes `getRandomValues` fills in one call. */
const RANDOM_CHUNK_BYTES = 65_536;
const RIGHTS_ALL = 0x1fffffffn;
/** Most buffers one `fd_read`/`fd_write` takes, as POSIX's `IOV_MAX`; more is `EINVAL`. */
const IOV_MAX = 1024;

const startNs = BigInt(Date.now()) * 1_000_000n;
const startHr = process.hrtime.bigint();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

type HostFn = (...args: never[]) => unknown;

/**
 * Builds the `wasi_snapshot_preview1` import object for one instance. `state()` returns the
 * invocation in progress: imports are built once per instance and reused across invocations.
 */
export function wasiImports(names: readonly string[], state: () => InvocationState): Record<string, HostFn> {
  const memory = () => new GuestMemory(state().memory);
  const iovecs = (iovs: number, count: number): Uint8Array[] => {
    const mem = memory();
    const base = mem.offset(iovs, count * 8);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      out.push(mem.bytes(mem.getU32(base + i * 8), mem.getU32(base + i * 8 + 4)));
    }
    return out;
  };
  const isStdio = (fd: number) => fd >= 0 && fd <= 2;

  const impl: Record<string, (...args: never[]) => number> = {
    args_get: () => Errno.Success,
    args_sizes_get: (argc: number, bufSize: number) => {
      const mem = memory();
      mem.setU32(argc, 0);
      mem.setU32(bufSize, 0);
      return Errno.Success;
    },
    environ_get: () => Errno.Success,
    environ_sizes_get: (count: number, bufSize: number) => {
      const mem = memory();
      mem.setU32(count, 0);
      mem.setU32(bufSize, 0);
      return Errno.Success;
    },
    clock_res_get: (id: number, ptr: number) => {
      if (id < 0 || id > 3) return Errno.Inval;
      memory().setU64(ptr, 1000n);
      return Errno.Success;
    },
    clock_time_get: (id: number, _precision: bigint, ptr: number) => {
      const hr = process.hrtime.bigint();
      if (id === 0) memory().setU64(ptr, startNs + (hr - startHr));
      else if (id >= 1 && id <= 3) memory().setU64(ptr, hr);
      else return Errno.Inval;
      return Errno.Success;
    },
    fd_write: (fd: number, iovs: number, count: number, nwritten: number) => {
      if (fd !== 1 && fd !== 2) return Errno.Badf;
      if (unsigned(count) > IOV_MAX) return Errno.Inval;
      const s = state();
      let total = 0;
      for (const chunk of iovecs(iovs, count)) {
        total += chunk.length;
        if (fd === 2) {
          s.stderr.write(chunk);
          s.stderrTail = (s.stderrTail + new TextDecoder().decode(chunk)).slice(-4096);
        } else if (s.stdout) {
          if (!s.stdout.push(chunk)) {
            throw new GuestFault(
              ErrorCode.ResultTooLarge,
              `the function's output is larger than the result limit of ${s.maxOutputBytes} bytes`,
            );
          }
        } else {
          s.stdoutLines?.write(chunk);
        }
      }
      memory().setU32(nwritten, total);
      return Errno.Success;
    },
    fd_read: (fd: number, iovs: number, count: number, nread: number) => {
      if (fd !== 0) return isStdio(fd) ? Errno.Inval : Errno.Badf;
      if (unsigned(count) > IOV_MAX) return Errno.Inval;
      const s = state();
      let total = 0;
      for (const chunk of iovecs(iovs, count)) {
        const part = s.input.subarray(s.stdinOffset, s.stdinOffset + chunk.length);
        chunk.set(part);
        s.stdinOffset += part.length;
        total += part.length;
        if (part.length < chunk.length) break;
      }
      memory().setU32(nread, total);
      return Errno.Success;
    },
    fd_close: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_sync: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_datasync: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_fdstat_get: (fd: number, ptr: number) => {
      if (!isStdio(fd)) return Errno.Badf;
      const mem = memory();
      mem.bytes(ptr, 24).fill(0);
      mem.setU8(ptr, FILETYPE_CHARACTER_DEVICE);
      mem.setU64(unsigned(ptr) + 8, RIGHTS_ALL);
      mem.setU64(unsigned(ptr) + 16, RIGHTS_ALL);
      return Errno.Success;
    },
    fd_fdstat_set_flags: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_filestat_get: (fd: number, ptr: number) => {
      if (!isStdio(fd)) return Errno.Badf;
      const mem = memory();
      mem.bytes(ptr, 64).fill(0);
      mem.setU8(unsigned(ptr) + 16, FILETYPE_CHARACTER_DEVICE);
      return Errno.Success;
    },
    fd_seek: (fd: number) => (isStdio(fd) ? Errno.Spipe : Errno.Badf),
    fd_tell: (fd: number) => (isStdio(fd) ? Errno.Spipe : Errno.Badf),
    fd_prestat_get: () => Errno.Badf,
    fd_prestat_dir_name: () => Errno.Badf,
    proc_exit: (code: number) => {
      throw new ProcExit(code);
    },
    sched_yield: () => Errno.Success,
    random_get: (ptr: number, len: number) => {
      const target = memory().bytes(ptr, len);
      for (let offset = 0; offset < target.length; offset += RANDOM_CHUNK_BYTES) {
        getRandomValues(target.subarray(offset, offset + RANDOM_CHUNK_BYTES));
      }
      return Errno.Success;
    },
    poll_oneoff: (input: number, output: number, count: number, nevents: number) => {
      const mem = memory();
      // Both arrays must lie in memory before anything is read or written.
      const subs = mem.offset(input, unsigned(count) * 48);
      const events = mem.offset(output, unsigned(count) * 32);
      const now = process.hrtime.bigint();
      let sleepNs: bigint | undefined;
      let written = 0;
      const event = (userdata: bigint, type: number) => {
        const ev = events + written++ * 32;
        mem.bytes(ev, 32).fill(0);
        mem.setU64(ev, userdata);
        mem.setU16(ev + 8, Errno.Success);
        mem.setU8(ev + 10, type);
      };
      const clocks: { userdata: bigint; wake: bigint }[] = [];
      for (let i = 0; i < unsigned(count); i++) {
        const sub = subs + i * 48;
        const userdata = mem.getU64(sub);
        const tag = mem.getU8(sub + 8);
        if (tag === 0) {
          const timeout = mem.getU64(sub + 24);
          const absolute = (mem.getU16(sub + 40) & 1) === 1;
          const id = mem.getU32(sub + 16);
          const base = id === 0 ? startNs + (now - startHr) : now;
          const wait = absolute ? timeout - base : timeout;
          const wake = wait > 0n ? wait : 0n;
          clocks.push({ userdata, wake });
          sleepNs = sleepNs === undefined || wake < sleepNs ? wake : sleepNs;
        } else {
          // fd readiness: stdio never blocks here, so report it ready at once.
          event(userdata, tag);
        }
      }
      if (written === 0 && sleepNs !== undefined) {
        // Never sleep past the invocation's deadline: the thread would be terminated anyway.
        const ms = Math.min(Number(sleepNs / 1_000_000n), Math.max(0, state().deadline - Date.now()));
        if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
        for (const c of clocks) if (c.wake === sleepNs) event(c.userdata, 0);
      }
      mem.setU32(nevents, written);
      return Errno.Success;
    },
  };

  const out: Record<string, HostFn> = {};
  for (const name of names) {
    const fn = impl[name];
    if (!fn) {
      const errno = WASI_NOT_CAPABLE.has(name) ? Errno.Notcapable : Errno.Nosys;
      out[name] = () => errno;
      continue;
    }
    out[name] = (...args: never[]) => {
      try {
        return fn(...args);
      } catch (err) {
        // A pointer outside the guest's memory is the guest's bug: tell it, as POSIX would.
        if (err instanceof GuestMemoryFault) return Errno.Fault;
        throw err;
      }
    };
  }
  return out;
}
