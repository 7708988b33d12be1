import { Command, CommanderError } from 'commander';

import { FlError } from '@funless/protocol';

import { registerActivationCommands } from './commands/activation.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerAppCommands } from './commands/app.js';
import { registerConfigCommands } from './commands/config.js';
import { CommandContext } from './commands/context.js';
import { registerFnCommands } from './commands/fn.js';
import { registerModCommands } from './commands/mod.js';
import { registerUiCommand } from './commands/ui.js';
import { registerUpCommands } from './commands/up.js';
import { registerWorkersCommand } from './commands/workers.js';
import type { CliIo } from './output/index.js';

/** The CLI's version, shown by `fl --version`. */
export const CLI_VERSION = '0.1.0';

/** Builds the `fl` program writing to `io` (commander errors throw instead of exiting). */
export function createProgram(io: CliIo): Command {
  const ctx = new CommandContext(io);
  const program = new Command('fl')
    .description('FunLess: deploy and run WebAssembly functions')
    .version(CLI_VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Usage mistakes: one line, like every other error.
      outputError: (text, write) => write(`fl: ${text.trimEnd()} (add --help for usage)\n`),
    });
  program.addHelpText(
    'after',
    '\nExamples:\n  $ npm start                          # or: fl up\n' +
      '  $ fl fn new hello -l as && fl fn create hello ./hello\n' +
      '  $ fl fn invoke hello -a name=Test    # {"payload":"Hello Test!"}\n',
  );
  registerFnCommands(program, ctx);
  registerModCommands(program, ctx);
  registerAppCommands(program, ctx);
  registerActivationCommands(program, ctx);
  registerWorkersCommand(program, ctx);
  registerAdminCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerUiCommand(program, ctx);
  registerUpCommands(program, ctx);
  return program;
}

/**
 * Runs `fl` with `argv` (the arguments after `fl`) and resolves to the exit code: 0 on success,
 * 1 on any error, which is printed as `fl: error: <message>` on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help / version).
      return error.exitCode;
    }
    if (error instanceof FlError) {
      io.stderr.write(`fl: error: ${error.message}\n`);
      return 1;
    }
    const err = error as Error;
    io.stderr.write(`fl: error: unexpected failure: ${err.message}\n`);
    if (io.env.FL_DEBUG) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
