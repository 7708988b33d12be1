import type { Command } from 'commander';

import { example, type CommandContext } from './context.js';

/** `fl up`, `fl core`, `fl worker`: run the platform's processes. */
export function registerUpCommands(program: Command, ctx: CommandContext): void {
  example(
    program
      .command('up')
      .description('run a Core and one Worker on this machine (what `npm start` does)')
      .addHelpText(
        'after',
        '\nEnvironment: FL_PORT (default 4000), FL_HOST (default 127.0.0.1), FL_DATA_DIR (default .funless),\n' +
          'DATABASE_URL (PostgreSQL instead of SQLite), FL_ADMIN_TOKEN, FL_LOG_FORMAT (pretty or json; default\n' +
          'pretty on a terminal); see docs/configuration.md.\n',
      ),
    'fl up',
    'FL_PORT=8080 fl up',
  ).action(async () => {
    // The Core and the Worker are loaded only by the commands that run them, so that the other
    // commands start without loading either.
    const { runPlatform } = await import('../platform/index.js');
    const { platformLogger } = await import('../logging/index.js');
    await runPlatform(ctx.io.env, { logger: platformLogger(ctx.io.env, ctx.io.stdout) });
  });

  example(
    program.command('core').description('run the Core alone (REST API, storage, scheduling)'),
    'fl core',
    'FL_HOST=0.0.0.0 DATABASE_URL=postgres://fl@db/fl fl core',
  ).action(async () => {
    const { runCore } = await import('@funless/core');
    const { platformLogger } = await import('../logging/index.js');
    await runCore(ctx.io.env, { logger: platformLogger(ctx.io.env, ctx.io.stdout) });
  });

  example(
    program
      .command('worker')
      .description('run a Worker alone; it finds its Core by FL_CORE_URL, DNS or discovery'),
    'FL_CORE_URL=http://10.0.0.5:4000 FL_CLUSTER_SECRET=... fl worker',
  ).action(async () => {
    const { runWorker } = await import('@funless/worker');
    const { platformLogger } = await import('../logging/index.js');
    await runWorker(ctx.io.env, { logger: platformLogger(ctx.io.env, ctx.io.stdout) });
  });
}
