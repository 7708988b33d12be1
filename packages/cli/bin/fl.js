#!/bin/sh
//bin/true; exec node --max-semi-space-size=1 "$0" "$@"
// The line above runs in sh, which starts this file: it execs Node with the flag below (a line
// `#!/usr/bin/env -S node …` would do the same, but BusyBox's env, as on Alpine, has no -S). For
// JavaScript it is a comment; for sh, `//bin/true` is /bin/true.
//
// The `fl` command. npm links this file at install time, before the TypeScript build has written
// dist/, so it only loads the built program and says what to do when it is not there yet.
//
// --max-semi-space-size=1 keeps V8's young generation at 1 MiB per semi-space instead of letting it
// grow to 16: about 7 MiB less resident memory for a Core or a Worker, for a few percent of
// throughput (docs/configuration.md, "Memory"). To choose other V8 flags, run
// `node <flags> packages/cli/dist/src/bin.js …` instead.
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
