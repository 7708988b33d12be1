import type { Command } from 'commander';

import { CliError } from '../errors/index.js';
import { example, type CommandContext } from './context.js';

type Entry = (env: NodeJS.ProcessEnv, ...rest: unknown[]) => Promise<unknown>;

/**
 * Loads a platform package at run time, so the CLI builds and its other commands work whatever
 * the state of the Core and Worker packages.
 */
async function loadEntry(specifier: string, names: readonly string[]): Promise<Entry | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`cannot load ${specifier} (was \`npm run build\` run?): ${(error as Error).message}`, {
      cause: error,
    });
  }
  for (const name of names) if (typeof mod[name] === 'function') return mod[name] as Entry;
  return undefined;
}

const CORE = '@funless/core';
const WORKER = '@funless/worker';

async function requireCore(): Promise<Entry> {
  const runCore = await loadEntry(CORE, ['runCore']);
  if (!runCore) throw new CliError(`${CORE} has no runCore entry: this build has no Core to start`);
  return runCore;
}

/** `fl up`, `fl core`, `fl worker`: run the platform's processes. */
export function registerUpCommands(program: Command, ctx: CommandContext): void {
  example(
    program
      .command('up')
      .description('run a Core and one Worker on this machine (what `npm start` does)')
      .addHelpText(
        'after',
        '\nEnvironment: FL_PORT (default 4000), FL_HOST (default 127.0.0.1), FL_DATA_DIR (default .funless),\n' +
          'DATABASE_URL (PostgreSQL instead of SQLite), FL_ADMIN_TOKEN; see docs/configuration.md.\n',
      ),
    'fl up',
    'FL_PORT=8080 fl up',
  ).action(async () => {
    const env: NodeJS.ProcessEnv = { ...ctx.io.env, FL_HOST: ctx.io.env.FL_HOST ?? '127.0.0.1' };
    // The single-machine entry wires Core and Worker in one process; loaded only when used, so
    // the other commands never load the Core and the Worker.
    const runUp = await loadEntry('../platform/index.js', ['runPlatform']);
    if (runUp) {
      await runUp(env);
      return;
    }
    const runCore = await requireCore();
    const core = (await runCore(env)) as { url?: string } | undefined;
    const runWorker = await loadEntry(WORKER, ['runWorker']);
    if (!runWorker) {
      ctx.io.stderr.write(
        'fl: warning: no Worker is available in this build yet: the Core runs alone, and invocations ' +
          'answer 503 "No worker available"\n',
      );
      return;
    }
    await runWorker({ ...env, FL_CORE_URL: env.FL_CORE_URL ?? core?.url });
  });

  example(
    program.command('core').description('run the Core alone (REST API, storage, scheduling)'),
    'fl core',
    'FL_HOST=0.0.0.0 DATABASE_URL=postgres://fl@db/fl fl core',
  ).action(async () => {
    const runCore = await requireCore();
    await runCore(ctx.io.env);
  });

  example(
    program
      .command('worker')
      .description('run a Worker alone; it finds its Core by FL_CORE_URL, DNS or discovery'),
    'FL_CORE_URL=http://10.0.0.5:4000 FL_CLUSTER_SECRET=... fl worker',
  ).action(async () => {
    const runWorker = await loadEntry(WORKER, ['runWorker']);
    if (!runWorker)
      throw new CliError(`${WORKER} has no runWorker entry: this build has no Worker process yet`);
    await runWorker(ctx.io.env);
  });
}
