#!/usr/bin/env node
// Summarises a CPU profile written by `node --cpu-prof` (e.g. `E2E_CPU_PROF=dir npm run bench -- e2e`):
// the busy share of the thread, then self time by area (node:http, Fastify, the link, the runtime,
// garbage collection…) and the heaviest functions.
// Usage: node bench/cpu-profile.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpu-profile.mjs <file.cpuprofile> [top]');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const AREAS = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['program (native, unattributed)', (f) => f.functionName === '(program)'],
  ['the link (protocol, cluster, agent)', (f) => /protocol\/dist|cluster\/|agent\//.test(f.url)],
  ['ws (WebSocket library)', (f) => /node_modules\/ws\//.test(f.url)],
  ['runtime (pool, thread messaging)', (f) => /worker\/dist\/src\/runtime/.test(f.url)],
  [
    'Fastify and its plugins',
    (f) =>
      /node_modules\/(fastify|@fastify|avvio|find-my-way|light-my-request|fast-json|pino|abstract-logging|toad-cache|process-warning|secure-json-parse)/.test(
        f.url,
      ),
  ],
  [
    'Core HTTP routes, auth, store',
    (f) => /core\/dist\/src\/(http|auth|store|server|scheduling)/.test(f.url),
  ],
  [
    'node:http, net, streams',
    (f) =>
      /^node:(_http|http|net|stream|internal\/(streams|http|net|stream_base))/.test(f.url) ||
      /^node:internal\/(streams|http)/.test(f.url),
  ],
  ['node:worker_threads, MessagePort', (f) => /worker|messageport|message_port/i.test(f.url)],
  ['other node: internals', (f) => f.url.startsWith('node:')],
  ['native / builtins (no url)', (f) => f.url === ''],
];
const areas = new Map();
const fns = new Map();
let total = 0;
for (const [id, us] of self) {
  const f = byId.get(id).callFrame;
  total += us;
  const area = AREAS.find(([, test]) => test(f))?.[0] ?? 'other JavaScript';
  areas.set(area, (areas.get(area) ?? 0) + us);
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|packages)\//, '')}:${f.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
// Busy share per second: under a steady load, the busiest seconds say whether the thread is saturated.
const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
const seconds = [];
let clock = 0;
for (let i = 0; i < profile.samples.length; i++) {
  clock += profile.timeDeltas[i] ?? 0;
  const s = Math.floor(clock / 1e6);
  seconds[s] ??= { busy: 0, all: 0 };
  seconds[s].all += profile.timeDeltas[i] ?? 0;
  if (!idleIds.has(profile.samples[i])) seconds[s].busy += profile.timeDeltas[i] ?? 0;
}
const busyBySecond = seconds.filter(Boolean).map((s) => Math.round((s.busy / s.all) * 100));
const idle = areas.get('idle') ?? 0;
const busy = total - idle;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, busy ${((busy / total) * 100).toFixed(1)}%`);
console.log(`busy % per second: ${busyBySecond.join(' ')}`);
console.log('self time by area (share of busy time):');
for (const [area, us] of [...areas].filter(([a]) => a !== 'idle').sort((a, b) => b[1] - a[1])) {
  console.log(`  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${area}`);
}
console.log('heaviest functions (share of busy time):');
for (const [fn, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))) {
  if (fn.startsWith('(idle)')) continue;
  console.log(`  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${fn}`);
}
