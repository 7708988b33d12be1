import type { Command } from 'commander';

import { checkName } from '../args/index.js';
import { formatTable } from '../output/index.js';
import { example, jsonOption, type CommandContext } from './context.js';
import { functionColumns } from './columns.js';

type Json = Record<string, unknown>;

/** `fl mod list|get|create|rename|delete`. */
export function registerModCommands(program: Command, ctx: CommandContext): void {
  const mod = program.command('mod').description('manage modules (namespaces of functions)');
  example(mod, 'fl mod list', 'fl mod create test_mod');

  example(jsonOption(mod.command('list').alias('ls').description('list modules')), 'fl mod list').action(
    async (opts: { json?: boolean }) => {
      const modules = await (await ctx.api()).listModules();
      if (opts.json) return ctx.json(modules);
      ctx.out(formatTable(modules, [{ header: 'name', value: (m: Json) => m.name }]));
    },
  );

  example(
    jsonOption(mod.command('get <name>').description('show a module and its functions')),
    'fl mod get _',
  ).action(async (name: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).getModule(checkName(name, 'module'));
    if (opts.json) return ctx.json(data);
    const functions = Array.isArray(data.functions) ? (data.functions as Json[]) : [];
    ctx.out(`module: ${typeof data.name === 'string' ? data.name : name}`);
    if (functions.length === 0) return ctx.out('no functions');
    ctx.out(formatTable(functions, functionColumns(functions)));
  });

  example(
    jsonOption(mod.command('create <name>').description('create a module')),
    'fl mod create test_mod',
  ).action(async (name: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).createModule(checkName(name, 'module'));
    if (opts.json) return ctx.json(data);
    ctx.out(`created module ${name}`);
  });

  example(
    jsonOption(mod.command('rename <name> <new-name>').alias('update').description('rename a module')),
    'fl mod rename test_mod prod_mod',
  ).action(async (name: string, newName: string, opts: { json?: boolean }) => {
    const data = await (
      await ctx.api()
    ).renameModule(checkName(name, 'module'), checkName(newName, 'module'));
    if (opts.json) return ctx.json(data);
    ctx.out(`renamed module ${name} to ${newName}`);
  });

  example(
    jsonOption(mod.command('delete <name>').alias('rm').description('delete a module and all its functions')),
    'fl mod delete test_mod',
  ).action(async (name: string, opts: { json?: boolean }) => {
    await (await ctx.api()).deleteModule(checkName(name, 'module'));
    if (opts.json) return ctx.json({ deleted: { module: name } });
    ctx.out(`deleted module ${name} and its functions`);
  });
}
