// What the benchmarks that drive real processes share: where the built packages are, the secret and
// admin token their Cores start with, the environment of those processes, starting them, their CPU
// time, calls to the API, load from a separate autocannon process, never-seen copies of a module,
// and the summaries of rounds.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const root = fileURLToPath(new URL('..', import.meta.url));
/** A path inside a built package: `dist('core', 'src/index.js')`. */
export const dist = (pkg, path) => join(root, 'packages', pkg, 'dist', path);

/** The cluster secret of the Cores and Workers the benchmarks start. */
export const SECRET = 'bench-cluster-secret-0123456789';
/** The admin token of those Cores, and its authorization header. */
export const ADMIN = 'bench-admin-token-0123456789';
export const AUTH = `Bearer ${ADMIN}`;
/** The invocation body of `hello`. */
export const BODY = JSON.stringify({ args: { name: 'Bob' } });

/**
 * The environment of a Core or Worker process: this one's without its FL_ variables (but those in
 * `keep`) and without the names in `drop`, with quiet logs and discovery off, then `extra`.
 */
export function benchEnv(extra, { keep = [], drop = [] } = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => (!k.startsWith('FL_') || keep.includes(k)) && !drop.includes(k),
    ),
  );
  return { ...env, FL_LOG_LEVEL: 'warn', FL_DISCOVERY: 'off', ...extra };
}

/**
 * Node flags for the Core and Worker processes: `override` (space-separated, '' for none) when
 * set, else those the `fl` command runs with (the exec line at its top), so that the figures are
 * what users get.
 */
export function nodeFlags(override) {
  const fl = /exec node (.*?) "\$0"/.exec(readFileSync(join(root, 'packages/cli/bin/fl.js'), 'utf8'))[1];
  return (override ?? fl).split(' ').filter(Boolean);
}

/**
 * Spawns a Node.js process and resolves with it once its output (stdout or stderr) matches `ready`
 * (with the match); rejects when it exits first or after `timeoutMs`. The child goes into `children`
 * for the benchmark to kill at the end.
 */
export function startProcess(children, args, env, ready, timeoutMs = 30_000) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) resolve({ child, match });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`${args.join(' ')} not ready:\n${output}`)), timeoutMs).unref();
  });
}

/** CPU time the process has used (all its threads, user + system), in µs; ticks of 10 ms. */
export function cpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
}

/** A `fetch` of the API with `authorization`, resolving to the parsed `data` body; throws on a non-2xx. */
export function apiWith(authorization) {
  return async (url, init = {}) => {
    const res = await fetch(url, { ...init, headers: { authorization, ...init.headers } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
}

/** `apiWith` the admin token. */
export const api = apiWith(AUTH);

/** POSTs `body` to `url` from a separate autocannon process for `durationS`; its summary. */
export async function autocannon({ url, connections, durationS, authorization, body }) {
  const args = [
    join(root, 'node_modules/autocannon/autocannon.js'),
    '-j',
    '-c',
    String(connections),
    '-d',
    String(durationS),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-H',
    `authorization=${authorization}`,
    '-b',
    body,
    url,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  await new Promise((resolve) => child.once('exit', resolve));
  const result = JSON.parse(out.trim().split('\n').pop());
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  };
}

/** `autocannon` invoking `hello` (BODY) as the admin. */
export const loadHello = (url, connections, durationS) =>
  autocannon({ url, connections, durationS, authorization: AUTH, body: BODY });

/** A never-seen copy of a module: the same code with a custom section of its own. */
export function moduleVariant(code, i) {
  const name = new TextEncoder().encode('bench');
  const payload = new TextEncoder().encode(`variant-${i}-${process.hrtime.bigint()}`);
  const body = [name.length, ...name, ...payload];
  const out = new Uint8Array(code.length + 2 + body.length);
  out.set(code);
  out.set([0, body.length, ...body], code.length);
  return out;
}

/** Resident memory of a process in MiB: now (`VmRSS`), or the most it ever had (`VmHWM`). */
export function rssMiB(pid, which = 'VmRSS') {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${which}:\\s+(\\d+) kB`).exec(status)[1]) / 1024;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const fmt = (n, digits = 2) => Number(n).toFixed(digits);
