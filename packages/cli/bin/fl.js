#!/usr/bin/env node
// The `fl` command. npm links this file at install time, before the TypeScript build has written
// dist/, so it only loads the built program and says what to do when it is not there yet.
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
