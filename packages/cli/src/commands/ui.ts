import type { Command } from 'commander';

import { example, type CommandContext } from './context.js';

/** `fl ui`: a one-time sign-in link to the web console (docs/console.md, "Signing in"). */
export function registerUiCommand(program: Command, ctx: CommandContext): void {
  example(
    program
      .command('ui')
      .description('print a one-time link that opens the web console signed in (valid once, for 60 s)')
      .option('--admin', 'sign in with the admin token instead of the API token'),
    'fl ui',
    'fl ui --admin',
  ).action(async (opts: { admin?: boolean }) => {
    const api = await ctx.api();
    const { code, expires_at } = await api.signInCode(opts.admin === true);
    ctx.out(`${api.client.baseUrl}/ui/#code=${code}`);
    ctx.io.stderr.write(
      `Open it in a browser before ${new Date(expires_at).toLocaleTimeString()}: it signs in once, then stops working.\n`,
    );
  });
}
