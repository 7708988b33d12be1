/**
 * WASI preview1 for guests, written here rather than taken from `node:wasi` so that the sandbox is
 * exactly what FunLess promises: no filesystem (no preopens), no sockets, no host environment or
 * arguments; real clocks and random; stdin is the invocation's input, stdout/stderr are captured.
 */
import { getRandomValues } from 'node:crypto';

import { ErrorCode } from '@funless/protocol';

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
const RIGHTS_ALL = 0x1fffffffn;

/** Functions that would touch the filesystem or the network: refused as "not capable". */
const NOT_CAPABLE = new Set([
  'path_create_directory',
  'path_filestat_get',
  'path_filestat_set_times',
  'path_link',
  'path_open',
  'path_readlink',
  'path_remove_directory',
  'path_rename',
  'path_symlink',
  'path_unlink_file',
  'sock_accept',
  'sock_recv',
  'sock_send',
  'sock_shutdown',
]);

const startNs = BigInt(Date.now()) * 1_000_000n;
const startHr = process.hrtime.bigint();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

type HostFn = (...args: never[]) => unknown;

/**
 * Builds the `wasi_snapshot_preview1` import object for one instance. `state()` returns the
 * invocation in progress: imports are built once per instance and reused across invocations.
 */
export function wasiImports(names: readonly string[], state: () => InvocationState): Record<string, HostFn> {
  const view = () => new DataView(state().memory.buffer);
  const bytes = (ptr: number, len: number) => {
    const buf = state().memory.buffer;
    if (ptr + len > buf.byteLength) throw new RangeError('out of bounds');
    return new Uint8Array(buf, ptr, len);
  };
  const iovecs = (iovs: number, count: number): Uint8Array[] => {
    const dv = view();
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const ptr = dv.getUint32(iovs + i * 8, true);
      const len = dv.getUint32(iovs + i * 8 + 4, true);
      out.push(bytes(ptr, len));
    }
    return out;
  };
  const isStdio = (fd: number) => fd >= 0 && fd <= 2;

  const impl: Record<string, (...args: never[]) => number> = {
    args_get: () => Errno.Success,
    args_sizes_get: (argc: number, bufSize: number) => {
      const dv = view();
      dv.setUint32(argc, 0, true);
      dv.setUint32(bufSize, 0, true);
      return Errno.Success;
    },
    environ_get: () => Errno.Success,
    environ_sizes_get: (count: number, bufSize: number) => {
      const dv = view();
      dv.setUint32(count, 0, true);
      dv.setUint32(bufSize, 0, true);
      return Errno.Success;
    },
    clock_res_get: (id: number, ptr: number) => {
      if (id < 0 || id > 3) return Errno.Inval;
      view().setBigUint64(ptr, 1000n, true);
      return Errno.Success;
    },
    clock_time_get: (id: number, _precision: bigint, ptr: number) => {
      const hr = process.hrtime.bigint();
      if (id === 0) view().setBigUint64(ptr, startNs + (hr - startHr), true);
      else if (id >= 1 && id <= 3) view().setBigUint64(ptr, hr, true);
      else return Errno.Inval;
      return Errno.Success;
    },
    fd_write: (fd: number, iovs: number, count: number, nwritten: number) => {
      if (fd !== 1 && fd !== 2) return Errno.Badf;
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
      view().setUint32(nwritten, total, true);
      return Errno.Success;
    },
    fd_read: (fd: number, iovs: number, count: number, nread: number) => {
      if (fd !== 0) return isStdio(fd) ? Errno.Inval : Errno.Badf;
      const s = state();
      let total = 0;
      for (const chunk of iovecs(iovs, count)) {
        const part = s.input.subarray(s.stdinOffset, s.stdinOffset + chunk.length);
        chunk.set(part);
        s.stdinOffset += part.length;
        total += part.length;
        if (part.length < chunk.length) break;
      }
      view().setUint32(nread, total, true);
      return Errno.Success;
    },
    fd_close: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_sync: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_datasync: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_fdstat_get: (fd: number, ptr: number) => {
      if (!isStdio(fd)) return Errno.Badf;
      const dv = view();
      dv.setUint8(ptr, FILETYPE_CHARACTER_DEVICE);
      dv.setUint16(ptr + 2, 0, true);
      dv.setBigUint64(ptr + 8, RIGHTS_ALL, true);
      dv.setBigUint64(ptr + 16, RIGHTS_ALL, true);
      return Errno.Success;
    },
    fd_fdstat_set_flags: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
    fd_filestat_get: (fd: number, ptr: number) => {
      if (!isStdio(fd)) return Errno.Badf;
      bytes(ptr, 64).fill(0);
      view().setUint8(ptr + 16, FILETYPE_CHARACTER_DEVICE);
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
      const target = bytes(ptr, len);
      for (let offset = 0; offset < len; offset += 65_536) {
        getRandomValues(target.subarray(offset, Math.min(len, offset + 65_536)));
      }
      return Errno.Success;
    },
    poll_oneoff: (input: number, output: number, count: number, nevents: number) => {
      const dv = view();
      const now = process.hrtime.bigint();
      let sleepNs: bigint | undefined;
      let events = 0;
      const clocks: { userdata: bigint; wake: bigint }[] = [];
      for (let i = 0; i < count; i++) {
        const sub = input + i * 48;
        const userdata = dv.getBigUint64(sub, true);
        const tag = dv.getUint8(sub + 8);
        if (tag === 0) {
          const timeout = dv.getBigUint64(sub + 24, true);
          const absolute = (dv.getUint16(sub + 40, true) & 1) === 1;
          const id = dv.getUint32(sub + 16, true);
          const base = id === 0 ? startNs + (now - startHr) : now;
          const wait = absolute ? timeout - base : timeout;
          const wake = wait > 0n ? wait : 0n;
          clocks.push({ userdata, wake });
          sleepNs = sleepNs === undefined || wake < sleepNs ? wake : sleepNs;
        } else {
          // fd readiness: stdio never blocks here, so report it ready at once.
          const ev = output + events++ * 32;
          bytes(ev, 32).fill(0);
          dv.setBigUint64(ev, userdata, true);
          dv.setUint16(ev + 8, Errno.Success, true);
          dv.setUint8(ev + 10, tag);
        }
      }
      if (events === 0 && sleepNs !== undefined) {
        // Never sleep past the invocation's deadline: the thread would be terminated anyway.
        const ms = Math.min(Number(sleepNs / 1_000_000n), Math.max(0, state().deadline - Date.now()));
        if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
        for (const c of clocks) {
          if (c.wake !== sleepNs) continue;
          const ev = output + events++ * 32;
          bytes(ev, 32).fill(0);
          dv.setBigUint64(ev, c.userdata, true);
        }
      }
      dv.setUint32(nevents, events, true);
      return Errno.Success;
    },
  };

  const out: Record<string, HostFn> = {};
  for (const name of names) {
    const fn = impl[name];
    if (!fn) {
      const errno = NOT_CAPABLE.has(name) ? Errno.Notcapable : Errno.Nosys;
      out[name] = () => errno;
      continue;
    }
    out[name] = (...args: never[]) => {
      try {
        return fn(...args);
      } catch (err) {
        // A pointer outside the guest's memory is the guest's bug: tell it, as POSIX would.
        if (err instanceof RangeError) return Errno.Fault;
        throw err;
      }
    };
  }
  return out;
}
