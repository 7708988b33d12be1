// Vite builds the console into dist/ui, served by the Core at /ui (docs/console.md).
import { gzipSync } from 'node:zlib';

import { defineConfig } from 'vite';

/** Most bytes the whole console may weigh, gzipped: every file the build writes together. */
export const BUNDLE_BUDGET_GZIP_BYTES = 200 * 1024;

/** Fails the build when the gzipped total of what it writes is over the budget, and prints it. */
function bundleBudget() {
  return {
    name: 'funless-bundle-budget',
    generateBundle(_options, bundle) {
      let total = 0;
      for (const file of Object.values(bundle)) {
        const bytes = file.type === 'chunk' ? file.code : file.source;
        total += gzipSync(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, { level: 9 }).length;
      }
      const line = `console bundle: ${(total / 1024).toFixed(1)} KB gzipped of ${BUNDLE_BUDGET_GZIP_BYTES / 1024} KB`;
      if (total > BUNDLE_BUDGET_GZIP_BYTES) this.error(`${line}: over the budget`);
      process.stdout.write(`${line}\n`);
    },
  };
}

export default defineConfig({
  root: 'src',
  base: './',
  publicDir: false,
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    target: 'es2022',
    // One file per kind: a handful of requests on a slow link, nothing fetched from elsewhere.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [bundleBudget()],
});
