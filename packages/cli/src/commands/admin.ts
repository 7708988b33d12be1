import { ASSIGNABLE_ROLES, DEFAULT_SUBJECT_ROLE } from '@funless/protocol';
import { Argument, Option, type Command } from 'commander';

import { checkName } from '../args/index.js';
import type { GrantTarget } from '../client/index.js';
import { formatRecord, formatTable } from '../output/index.js';
import { example, jsonOption, type CommandContext } from './context.js';

type Json = Record<string, unknown>;

const ROLES = ASSIGNABLE_ROLES.join(', ');

/**
 * `fl admin subject list|get|create|role|delete|rotate` and `fl admin module|script
 * show|grant|revoke` (admin token).
 */
export function registerAdminCommands(program: Command, ctx: CommandContext): void {
  const admin = program.command('admin').description('administration (needs the admin token)');
  const subject = admin.command('subject').description('manage API users (subjects), their roles and tokens');
  example(
    admin,
    'fl admin subject list',
    'fl admin subject create alice --role invoker',
    'fl admin module grant my_mod bob',
  );
  example(subject, 'fl admin subject create alice', 'fl admin subject rotate alice');

  example(
    jsonOption(subject.command('list').alias('ls').description('list subjects and their roles')),
    'fl admin subject list',
  ).action(async (opts: { json?: boolean }) => {
    const subjects = await (await ctx.api()).listSubjects();
    if (opts.json) return ctx.json(subjects);
    ctx.out(
      formatTable(subjects, [
        { header: 'name', value: (s: Json) => s.name },
        { header: 'role', value: (s: Json) => s.role },
      ]),
    );
  });

  const printSubject = (data: Json, name: string): void => {
    const entries: [string, unknown][] = [
      ['subject', data.name ?? name],
      ['role', data.role],
    ];
    if (data.token !== undefined) entries.push(['token', data.token]);
    ctx.out(formatRecord(entries));
  };
  const printToken = (data: Json, name: string, verb: string): void => {
    printSubject(data, name);
    ctx.io.stderr.write(`${verb} subject ${name}: the token is shown only now, keep it safe\n`);
  };
  const roleArgument = new Argument('<role>', `the new role: ${ROLES}`).choices(ASSIGNABLE_ROLES);

  example(
    jsonOption(subject.command('get <name>').description('show a subject and its role')),
    'fl admin subject get alice',
  ).action(async (name: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).getSubject(checkName(name, 'subject'));
    if (opts.json) return ctx.json(data);
    printSubject(data, name);
  });

  example(
    jsonOption(
      subject
        .command('create <name>')
        .description('create a subject and print its token (shown once)')
        .addOption(
          new Option(
            '--role <role>',
            `invoker: read and invoke functions only; developer: also create and change its own (default: ${DEFAULT_SUBJECT_ROLE})`,
          ).choices(ASSIGNABLE_ROLES),
        ),
    ),
    'fl admin subject create alice',
    'fl admin subject create sensor_1 --role invoker',
  ).action(async (name: string, opts: { json?: boolean; role?: string }) => {
    const data = await (await ctx.api()).createSubject(checkName(name, 'subject'), opts.role);
    if (opts.json) return ctx.json(data);
    printToken(data, name, 'created');
  });

  example(
    jsonOption(
      subject
        .command('role')
        .description("change a subject's role (its token stays)")
        .argument('<name>')
        .addArgument(roleArgument),
    ),
    'fl admin subject role sensor_1 invoker',
  ).action(async (name: string, role: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).setSubjectRole(checkName(name, 'subject'), role);
    if (opts.json) return ctx.json(data);
    ctx.out(`subject ${name} has the ${role} role`);
  });

  example(
    jsonOption(
      subject
        .command('delete <name>')
        .alias('rm')
        .description('delete a subject (its token stops working; what it owned passes to the admin)'),
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

  registerGrantCommands(admin, ctx, 'module', 'my_mod');
  registerGrantCommands(admin, ctx, 'script', 'edge_first');
}

/** `fl admin module|script show|grant|revoke`: who owns it, and who else may change it. */
function registerGrantCommands(admin: Command, ctx: CommandContext, kind: GrantTarget, sample: string): void {
  const what = kind === 'module' ? 'module' : 'APP script';
  const group = admin
    .command(kind)
    .description(`who owns ${kind === 'module' ? 'a module' : 'an APP script'}, and who else may change it`);
  example(group, `fl admin ${kind} show ${sample}`, `fl admin ${kind} grant ${sample} bob`);
  const check = (name: string): string => checkName(name, kind === 'module' ? 'module' : 'script');

  example(
    jsonOption(group.command('show <name>').description(`show the owner of the ${what} and its grants`)),
    `fl admin ${kind} show ${sample}`,
  ).action(async (name: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).ownership(kind, check(name));
    if (opts.json) return ctx.json(data);
    const entries: [string, unknown][] = [
      [kind, data.name ?? name],
      ['owner', data.owner ?? "shared: every developer adds functions, each its creator's"],
      ['grants', data.grants],
    ];
    ctx.out(formatRecord(entries));
    const functions = Array.isArray(data.functions) ? (data.functions as Json[]) : [];
    if (functions.length > 0) {
      ctx.out(
        formatTable(functions, [
          { header: 'function', value: (f: Json) => f.name },
          { header: 'owner', value: (f: Json) => f.owner },
        ]),
      );
    }
  });

  example(
    jsonOption(
      group
        .command('grant <name> <subject>')
        .description(`let a developer change the ${what} (it does not own)`),
    ),
    `fl admin ${kind} grant ${sample} bob`,
  ).action(async (name: string, subjectName: string, opts: { json?: boolean }) => {
    const data = await (await ctx.api()).grant(kind, check(name), checkName(subjectName, 'subject'));
    if (opts.json) return ctx.json(data);
    ctx.out(`${subjectName} may change ${what} ${name}`);
  });

  example(
    jsonOption(group.command('revoke <name> <subject>').description('withdraw a grant')),
    `fl admin ${kind} revoke ${sample} bob`,
  ).action(async (name: string, subjectName: string, opts: { json?: boolean }) => {
    await (await ctx.api()).revoke(kind, check(name), checkName(subjectName, 'subject'));
    if (opts.json) return ctx.json({ revoked: { [kind]: name, subject: subjectName } });
    ctx.out(`${subjectName} may no longer change ${what} ${name}`);
  });
}
