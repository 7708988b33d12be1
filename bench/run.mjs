#!/usr/bin/env node
// Runs every benchmark in this folder (files named *.bench.mjs), one after the other in its own
// process, so that one benchmark's heap and threads do not disturb the next.
// Usage: npm run bench [-- substring-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const dir = new URL('.', import.meta.url).pathname;
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (benches.length === 0) {
  console.error('bench: no benchmark matches');
  process.exit(1);
}
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`);
  const { status } = spawnSync(process.execPath, ['--expose-gc', dir + bench], { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
