import type { Command } from 'commander';

import { ApiClient, FunlessApi } from '../client/index.js';
import { resolveSettings, type Settings } from '../config/index.js';
import { Progress, type CliIo } from '../output/index.js';

/** What every command handler gets: the process surroundings and lazily built clients. */
export class CommandContext {
  private settingsPromise: Promise<Settings> | undefined;

  constructor(readonly io: CliIo) {}

  /** Config file + tokens file + environment, read once per run. */
  settings(): Promise<Settings> {
    this.settingsPromise ??= resolveSettings({ env: this.io.env, cwd: this.io.cwd });
    return this.settingsPromise;
  }

  async api(): Promise<FunlessApi> {
    const s = await this.settings();
    return new FunlessApi(new ApiClient({ baseUrl: s.apiHost, token: s.apiToken, adminToken: s.adminToken }));
  }

  /** A spinner on stderr, drawn only when stdout is a terminal. */
  progress(): Progress {
    return new Progress(this.io.stderr, this.io.stdout.isTTY === true && this.io.stderr.isTTY === true);
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A note on stderr, e.g. that a slow one-time step is under way. */
  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Prints a value as indented JSON (the `--json` output). */
  json(value: unknown): void {
    this.out(JSON.stringify(value ?? null, null, 2));
  }
}

/** Adds an "Example:" section to a command's --help. */
export function example(command: Command, ...lines: string[]): Command {
  return command.addHelpText(
    'after',
    `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`,
  );
}

/** Adds `--json` (machine-readable output) to a command. */
export function jsonOption(command: Command): Command {
  return command.option('--json', 'print machine-readable JSON instead of a table');
}
