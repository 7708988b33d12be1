#!/usr/bin/env node
import { processIo } from './output/index.js';
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), processIo());
// Long-running commands (up, core, worker) keep the process alive through their servers.
if (code !== 0) process.exitCode = code;
