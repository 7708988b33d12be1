#!/usr/bin/env -S node --max-semi-space-size=1
// The `fl` command. npm links this file at install time, before the TypeScript build has written
// dist/, so it only loads the built program and says what to do when it is not there yet.
//
// --max-semi-space-size=1 keeps V8's young generation at 1 MiB per semi-space instead of letting it
// grow to 16: about 7 MiB less resident memory for a Core or a Worker, for a few percent of
// throughput (docs/configuration.md, "Memory"). NODE_OPTIONS cannot override a flag given here;
// run `node packages/cli/dist/src/bin.js …` to choose other V8 flags.
const entry = new URL('../dist/src/bin.js', import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(entry.pathname)) {
    process.stderr.write('fl: error: the CLI is not built yet; run `npm run build` in the repository\n');
    process.exit(1);
  }
  throw error;
}
