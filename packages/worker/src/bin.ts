#!/usr/bin/env node
// A Worker process from the environment: what `fl worker` runs, and what tests spawn.
import { runWorker } from './process/index.js';

try {
  await runWorker(process.env);
} catch (error) {
  process.stderr.write(`fl worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
