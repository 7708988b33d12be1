// C toolchains benchmark (docs/testing.md#a-machine-with-only-nodejs-and-npm): `fl fn build -l c`
// with Debian's clang + lld + wasi-libc and with the npm fallback `@yowasp/clang` (clang, lld and
// a wasi-libc sysroot compiled to WebAssembly, run by Node.js), in one run: build time of the C
// template's hello function and of fixtures/c/realistic.c (900 functions), the module sizes, and
// what each toolchain takes on disk. A toolchain that is not installed is reported as such.
// Usage: npm run bench -- c-toolchains
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildFunction } from '../packages/cli/dist/src/build/index.js';
import { newProject } from '../packages/cli/dist/src/templates/index.js';
import { fmt, median } from './support.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fl-bench-c-'));
const DEBIAN_PACKAGES = [
  'clang-14',
  'lld-14',
  'wasi-libc',
  'libclang-rt-14-dev-wasm32',
  'libllvm14',
  'libclang-cpp14',
];
const RUNS = 3;

/** Installed size of Debian packages, MB (dpkg's figure, KiB); undefined when one is missing. */
function debianMB() {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Installed-Size}\\n', ...DEBIAN_PACKAGES], {
      encoding: 'utf8',
    });
    return (
      out
        .trim()
        .split('\n')
        .map(Number)
        .reduce((a, b) => a + b, 0) / 1024
    );
  } catch {
    return undefined;
  }
}

/** Size of a folder, MB. */
function folderMB(dir) {
  try {
    return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
  } catch {
    return undefined;
  }
}

const projects = [];
const hello = await newProject({ name: 'hello_c', language: 'c', cwd: work });
projects.push({ name: 'template hello', dir: hello.dir });
const realistic = join(work, 'realistic');
mkdirSync(realistic);
copyFileSync(join(root, 'packages/testing/fixtures/c/realistic.c'), join(realistic, 'realistic.c'));
projects.push({ name: 'realistic.c', dir: realistic });

const emptyBin = join(work, 'no-clang-bin');
mkdirSync(emptyBin);
const toolchains = [
  { name: 'Debian clang 14', env: { ...process.env, CC_WASM: 'clang' }, diskMB: debianMB() },
  {
    name: 'npm @yowasp/clang',
    env: { ...process.env, PATH: emptyBin, CC_WASM: '' },
    diskMB: folderMB(join(root, 'node_modules/@yowasp/clang')),
  },
];

console.log(
  `${'toolchain'.padEnd(20)}${'on disk MB'.padStart(11)}  ${projects.map((p) => `${p.name}: s, KB`.padStart(26)).join('')}`,
);
for (const tc of toolchains) {
  const cells = [];
  for (const p of projects) {
    const times = [];
    let bytes;
    try {
      for (let i = 0; i < RUNS; i++) {
        const t0 = process.hrtime.bigint();
        const built = await buildFunction({
          source: p.dir,
          language: 'c',
          env: tc.env,
          outFile: join(work, 'out.wasm'),
        });
        times.push(Number(process.hrtime.bigint() - t0) / 1e9);
        bytes = built.code.length;
        if (i === 0) tc.used = built.toolchain;
      }
      cells.push(`${fmt(median(times), 2)} s, ${fmt(bytes / 1000, 1)}`.padStart(26));
    } catch (error) {
      cells.push(`not installed (${error.name})`.padStart(26));
    }
  }
  const disk = tc.diskMB === undefined ? 'missing' : fmt(tc.diskMB, 0);
  console.log(`${tc.name.padEnd(20)}${disk.padStart(11)}  ${cells.join('')}`);
}
for (const tc of toolchains) if (tc.used) console.log(`${tc.name}: built with ${tc.used}`);
console.log(`median of ${RUNS} builds each; the npm toolchain also downloads ~27 MB once (npm install)`);
rmSync(work, { recursive: true, force: true });
