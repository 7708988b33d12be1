// Languages benchmark (docs/functions.md#languages-and-sdks): the hello function of each template
// (`fl fn new -l <language>`, {"name":"bench"} -> {"payload":"Hello bench!"}), built with
// `fl fn build`'s code, measured in one run on the Worker's runtime:
//  - build: the first `fl fn build` of a fresh project (for Rust, every crate compiled once);
//  - module size and initial memory (what each instance starts with and the reset copies back);
//  - warm invocation: µs/call, one call after another on one thread, and its ratio to C's
//    (the languages' rounds interleaved, so a busy machine weighs on all alike);
//  - cold start: upload to first result at the Worker (store: validate, compile, write; then
//    the first invoke) of a never-seen copy of the module, median of several.
// Targets: Rust's warm call within 1.5x C's; JavaScript and TypeScript (QuickJS in the module,
// the bundle evaluated at build time) warm <= 150 µs, cold start <= 60 ms, module <= 1 MB.
// A language whose toolchain is missing is listed as
// skipped with the reason. To add a language, add a row to ROWS.
// Usage: npm run bench -- languages
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildFunction } from '../packages/cli/dist/src/build/index.js';
import { jsEngine } from '../packages/cli/dist/src/build/javascript/index.js';
import { newProject } from '../packages/cli/dist/src/templates/index.js';
import { readModule } from '../packages/protocol/dist/src/index.js';
import { codeHash, Runtime } from '../packages/worker/dist/src/index.js';
import { fmt, median, moduleVariant } from './support.mjs';

/** One row per language: its template, and the language the baseline ratio is taken against. */
const ROWS = [
  { language: 'c', template: 'c' },
  { language: 'rust', template: 'rust' },
  { language: 'js', template: 'js' },
  { language: 'ts', template: 'ts' },
];
const BASELINE = 'c';
/** Warm: a ratio to the baseline, or µs per call; cold start in ms; module size in KB. */
const TARGETS = {
  rust: { warmRatio: 1.5 },
  js: { warmUs: 150, coldMs: 60, moduleKB: 1000 },
  ts: { warmUs: 150, coldMs: 60, moduleKB: 1000 },
};

const input = new TextEncoder().encode(JSON.stringify({ name: 'bench' }));
const expected = JSON.stringify({ payload: 'Hello bench!' });
const WARMUP = 2000;
const ROUNDS = 9;
const CALLS_PER_ROUND = 3000;
const COLD_RUNS = 9;

const work = mkdtempSync(join(tmpdir(), 'fl-bench-languages-'));

/** Builds a row's template and reads its module; a missing toolchain skips the row. */
async function build(row) {
  const dir = join(work, row.language);
  // The JavaScript engine is built once per installation, not per function: not counted here.
  if (row.language === 'js' || row.language === 'ts') await jsEngine(process.env);
  const t0 = process.hrtime.bigint();
  const project = await newProject({ name: `hello_${row.language}`, language: row.template, cwd: dir });
  const built = await buildFunction({ source: project.dir });
  const buildS = Number(process.hrtime.bigint() - t0) / 1e9;
  const memory = readModule(built.code).memories.find((m) => !m.imported);
  return {
    language: row.language,
    code: built.code,
    toolchain: built.toolchain,
    buildS,
    bytes: built.code.length,
    memoryKiB: ((memory?.min ?? 0) * 65536) / 1024,
  };
}

const results = [];
for (const row of ROWS) {
  try {
    results.push(await build(row));
  } catch (error) {
    // A missing toolchain skips its row (and says why); anything else is a failure.
    if (error?.name !== 'ToolchainMissingError') throw error;
    results.push({ language: row.language, skipped: error.message.split('\n')[0] });
  }
}
const built = results.filter((r) => !r.skipped);

// All modules on one runtime of one thread; warm calls in interleaved rounds, so that the load
// of a shared machine weighs on every language alike; each language's figure is its median round.
const runtime = await Runtime.create({ dataDir: join(work, 'runtime'), threads: 1 });
try {
  for (const r of built) {
    r.fn = { module: 'bench', name: r.language, hash: codeHash(r.code) };
    await runtime.store({ ...r.fn, code: r.code });
    const first = await runtime.invoke({ ...r.fn, capacityMiB: 64, input });
    const answer = first.type === 'result' ? Buffer.from(first.result).toString() : JSON.stringify(first);
    if (answer !== expected) throw new Error(`${r.language}: expected ${expected}, got ${answer}`);
    for (let i = 0; i < WARMUP; i++) await runtime.invoke({ ...r.fn, capacityMiB: 64, input });
    r.rounds = [];
    r.colds = [];
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of built) {
      const request = { ...r.fn, capacityMiB: 64, input };
      const t1 = process.hrtime.bigint();
      for (let i = 0; i < CALLS_PER_ROUND; i++) await runtime.invoke(request);
      r.rounds.push(Number(process.hrtime.bigint() - t1) / 1000 / CALLS_PER_ROUND);
    }
  }
  for (let i = 0; i < COLD_RUNS; i++) {
    for (const r of built) {
      const code = moduleVariant(r.code, i);
      const ref = { module: 'bench', name: `${r.language}_cold${i}`, hash: codeHash(code) };
      // The previous language's cold start leaves work behind (V8 compiling its module in the
      // background, garbage): let it settle, so that it is not counted in this one.
      global.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const t2 = process.hrtime.bigint();
      await runtime.store({ ...ref, code });
      await runtime.invoke({ ...ref, capacityMiB: 64, input });
      r.colds.push(Number(process.hrtime.bigint() - t2) / 1e6);
    }
  }
} finally {
  await runtime.close();
}
for (const r of built) {
  r.warmUs = median(r.rounds);
  r.coldMs = median(r.colds);
}
rmSync(work, { recursive: true, force: true });

const baseline = results.find((r) => r.language === BASELINE && !r.skipped);
console.log(
  `hello function per language; ${availableParallelism()} CPUs; warm: median of ${ROUNDS} interleaved rounds of ${CALLS_PER_ROUND} calls on one thread`,
);
console.log(
  `${'language'.padEnd(10)}${'build s'.padStart(9)}${'module KB'.padStart(11)}${'memory KiB'.padStart(12)}` +
    `${'warm µs'.padStart(10)}${`x ${BASELINE}`.padStart(8)}${'cold ms'.padStart(10)}`,
);
let missed = false;
for (const r of results) {
  if (r.skipped) {
    console.log(`${r.language.padEnd(10)}skipped: ${r.skipped}`);
    continue;
  }
  const ratio = baseline ? r.warmUs / baseline.warmUs : NaN;
  const target = TARGETS[r.language] ?? {};
  const wanted = [];
  const check = (value, limit, text) => {
    if (limit === undefined) return;
    wanted.push(text);
    if (value > limit) missed = true;
  };
  check(ratio, target.warmRatio, `warm <= ${target.warmRatio}x`);
  check(r.warmUs, target.warmUs, `warm <= ${target.warmUs} µs`);
  check(r.coldMs, target.coldMs, `cold <= ${target.coldMs} ms`);
  check(r.bytes / 1000, target.moduleKB, `module <= ${target.moduleKB} KB`);
  console.log(
    `${r.language.padEnd(10)}${fmt(r.buildS, 1).padStart(9)}${fmt(r.bytes / 1000, 1).padStart(11)}` +
      `${fmt(r.memoryKiB, 0).padStart(12)}${fmt(r.warmUs, 1).padStart(10)}${fmt(ratio).padStart(8)}` +
      `${fmt(r.coldMs).padStart(10)}${wanted.length === 0 ? '' : `   (targets: ${wanted.join(', ')})`}`,
  );
}
for (const r of results) if (r.toolchain) console.log(`${r.language}: built with ${r.toolchain}`);
if (missed) console.log('NOTE: a target was missed on this machine');
