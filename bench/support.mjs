// What the benchmarks that drive real processes share: starting them, their CPU time, calls to the
// API, load from a separate autocannon process, and the summaries of rounds.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

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
