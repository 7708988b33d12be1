import type { Command } from 'commander';

import { checkName } from '../args/index.js';
import { formatRecord, formatTable } from '../output/index.js';
import { example, jsonOption, type CommandContext } from './context.js';

type Json = Record<string, unknown>;

/** `fl admin subject list|create|delete|rotate` (admin token). */
export function registerAdminCommands(program: Command, ctx: CommandContext): void {
  const admin = program.command('admin').description('administration (needs the admin token)');
  const subject = admin.command('subject').description('manage API users (subjects) and their tokens');
  example(admin, 'fl admin subject list', 'fl admin subject create alice');
  example(subject, 'fl admin subject create alice', 'fl admin subject rotate alice');

  example(
    jsonOption(subject.command('list').alias('ls').description('list subjects')),
    'fl admin subject list',
  ).action(async (opts: { json?: boolean }) => {
    const subjects = await (await ctx.api()).listSubjects();
    if (opts.json) return ctx.json(subjects);
    ctx.out(formatTable(subjects, [{ header: 'name', value: (s: Json) => s.name }]));
  });

  const printToken = (data: Json, name: string, verb: string): void => {
    ctx.out(
      formatRecord([
        ['subject', data.name ?? name],
        ['token', data.token],
      ]),
    );
    ctx.io.stderr.write(`${verb} subject ${name}: the token is shown only now, keep it safe\n`);
  };

  example(
    jsonOption(
      subject.command('create <name>').description('create a subject and print its token (shown once)'),
    ),
    'fl admin subject create alice',
  ).action(async (name: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).createSubject(checkName(name, 'subject'));
    if (opts.json) return ctx.json(data);
    printToken(data, name, 'created');
  });

  example(
    jsonOption(
      subject.command('delete <name>').alias('rm').description('delete a subject (its token stops working)'),
    ),
    'fl admin subject delete alice',
  ).action(async (name: string, opts: { json?: boolean }) => {
    await (await ctx.api()).deleteSubject(checkName(name, 'subject'));
    if (opts.json) return ctx.json({ deleted: { subject: name } });
    ctx.out(`deleted subject ${name}`);
  });

  example(
    jsonOption(
      subject.command('rotate <name>').description('give a subject a new token (the old one stops working)'),
    ),
    'fl admin subject rotate alice',
  ).action(async (name: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).rotateSubject(checkName(name, 'subject'));
    if (opts.json) return ctx.json(data);
    printToken(data, name, 'rotated');
  });
}
