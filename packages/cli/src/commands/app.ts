import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { Command } from 'commander';

import { checkName } from '../args/index.js';
import { CliError } from '../errors/index.js';
import { formatTable } from '../output/index.js';
import { example, jsonOption, type CommandContext } from './context.js';

type Json = Record<string, unknown>;

async function readScript(ctx: CommandContext, file: string): Promise<string> {
  try {
    return await readFile(resolve(ctx.io.cwd, file), 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** `fl app list|get|create|update|delete`: APP configuration scripts. */
export function registerAppCommands(program: Command, ctx: CommandContext): void {
  const app = program.command('app').description('manage APP configuration scripts (scheduling policies)');
  example(app, 'fl app create edge_only policy.yml', 'fl fn invoke hello --app edge_only');

  example(jsonOption(app.command('list').alias('ls').description('list APP scripts')), 'fl app list').action(
    async (opts: { json?: boolean }) => {
      const scripts = await (await ctx.api()).listScripts();
      if (opts.json) return ctx.json(scripts);
      ctx.out(formatTable(scripts, [{ header: 'name', value: (s: Json) => s.name }]));
    },
  );

  example(
    jsonOption(app.command('get <name>').description('print an APP script as uploaded')),
    'fl app get edge_only',
  ).action(async (name: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).getScript(checkName(name, 'APP script'));
    if (opts.json) return ctx.json(data);
    const text =
      typeof data.script === 'string' ? data.script : typeof data.text === 'string' ? data.text : undefined;
    ctx.out(text ?? JSON.stringify(data, null, 2));
  });

  example(
    jsonOption(app.command('create <name> <file.yml>').description('upload an APP script')),
    'fl app create edge_only policy.yml',
  ).action(async (name: string, file: string, opts: { json?: boolean }) => {
    checkName(name, 'APP script');
    const data = await (await ctx.api()).createScript(name, await readScript(ctx, file));
    if (opts.json) return ctx.json(data);
    ctx.out(`created APP script ${name}`);
  });

  example(
    jsonOption(app.command('update <name> <file.yml>').description('replace an APP script')),
    'fl app update edge_only policy.yml',
  ).action(async (name: string, file: string, opts: { json?: boolean }) => {
    checkName(name, 'APP script');
    const data = await (await ctx.api()).updateScript(name, await readScript(ctx, file));
    if (opts.json) return ctx.json(data);
    ctx.out(`updated APP script ${name}`);
  });

  example(
    jsonOption(app.command('delete <name>').alias('rm').description('delete an APP script')),
    'fl app delete edge_only',
  ).action(async (name: string, opts: { json?: boolean }) => {
    await (await ctx.api()).deleteScript(checkName(name, 'APP script'));
    if (opts.json) return ctx.json({ deleted: { script: name } });
    ctx.out(`deleted APP script ${name}`);
  });
}
