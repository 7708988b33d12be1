import { Option, type Command } from 'commander';

import { checkName, collect, connectionEntries, invocationArgs, parseCapacity } from '../args/index.js';
import { parseLanguage, type Language } from '../build/index.js';
import type { InvokeRequestBody } from '../client/index.js';
import { ApiError, CliError } from '../errors/index.js';
import { formatRecord, formatTable } from '../output/index.js';
import { printLogs } from './activation.js';
import { registerBuildCommand } from './build.js';
import { functionColumns } from './columns.js';
import { example, jsonOption, type CommandContext } from './context.js';
import { loadCode } from './load-code.js';
import { registerNewCommand } from './new.js';

type Json = Record<string, unknown>;

interface ModuleOption {
  module: string;
}

function moduleOption(): Option {
  return new Option('-m, --module <module>', 'the module of the function').default('_');
}

/** `fl fn new|build|create|update|get|list|delete|invoke`. */
export function registerFnCommands(program: Command, ctx: CommandContext): void {
  const fn = program.command('fn').description('write, build, deploy and invoke functions');
  example(fn, 'fl fn new hello -l as', 'fl fn create hello ./hello', 'fl fn invoke hello -a name=Test');

  registerNewCommand(fn, ctx);
  registerBuildCommand(fn, ctx);

  example(
    jsonOption(
      fn
        .command('create <name> <code>')
        .description(
          'upload a function: <code> is a .wasm file, or a project directory or source file to build first',
        )
        .addOption(moduleOption())
        .option('--tag <tag>', 'tag used by APP scripts to place the function (Core default: "default")')
        .option(
          '--capacity <MiB>',
          'memory reserved per invocation, in MiB (Core default: 64)',
          parseCapacity,
        )
        .option('--no-wait', 'return without waiting for every Worker to hold the code')
        .option(
          '--event <spec>',
          'an event that invokes it (repeatable): mqtt:<host>:<port>/<topic>, nats:<host>:<port>/<subject>, schedule:<cron>',
          collect,
        )
        .option(
          '--sink <spec>',
          'where its results go (repeatable): webhook:<url>, mqtt:<host>:<port>/<topic>, nats:<host>:<port>/<subject>, couchdb:<url>#<db>, postgres:<url>#<table>',
          collect,
        )
        .option('--events <file>', 'events as a JSON array of {"type","params"} (before any --event)')
        .option('--sinks <file>', 'sinks as a JSON array of {"type","params"} (before any --sink)')
        .option(
          '-l, --language <language>',
          'language of a directory to build (default: detected)',
          parseLanguage,
        )
        .option('--no-typecheck', 'TypeScript: build without running tsc --noEmit first'),
    ),
    'fl fn create hello_test hello.wasm',
    'fl fn create hello ./hello -m test_mod --tag edge --capacity 32',
    'fl fn create sense sense.wasm --event mqtt:127.0.0.1:1883/sensors/+ --sink webhook:https://example.org/hook',
    "fl fn create report report.wasm --event schedule:'*/5 * * * *' --sink postgres:postgres://127.0.0.1/db#reports",
  ).action(
    async (
      name: string,
      path: string,
      opts: ModuleOption & {
        tag?: string;
        capacity?: number;
        wait: boolean;
        language?: Language;
        typecheck: boolean;
        json?: boolean;
      } & ConnectionOptions,
    ) => {
      checkName(name, 'function');
      checkName(opts.module, 'module');
      const { events, sinks } = await connectionsOf(ctx, opts);
      const { code, fileName } = await loadCode(ctx, path, opts.language, opts.typecheck);
      const api = await ctx.api();
      const data = await ctx.progress().run(`uploading ${name} (${code.length} bytes)`, () =>
        api.createFunction(opts.module, {
          name,
          code,
          fileName,
          tag: opts.tag,
          capacityMiB: opts.capacity,
          waitForWorkers: opts.wait,
          events,
          sinks,
        }),
      );
      if (opts.json) return ctx.json(data);
      ctx.out(`created function ${name} in module ${opts.module}${describeCode(data)}`);
      reportConnections(ctx, data);
    },
  );

  example(
    jsonOption(
      fn
        .command('update <name> [code]')
        .description("replace a function's code and/or metadata, or rename it")
        .addOption(moduleOption())
        .option('--tag <tag>', 'new tag')
        .option('--capacity <MiB>', 'new memory reservation per invocation, in MiB', parseCapacity)
        .option('--rename <new-name>', 'new name of the function')
        .option('--no-wait', 'return without waiting for every Worker to hold the code')
        .option(
          '--event <spec>',
          'an event that invokes it (repeatable): mqtt:<host>:<port>/<topic>, nats:<host>:<port>/<subject>, schedule:<cron>',
          collect,
        )
        .option(
          '--sink <spec>',
          'where its results go (repeatable): webhook:<url>, mqtt:<host>:<port>/<topic>, nats:<host>:<port>/<subject>, couchdb:<url>#<db>, postgres:<url>#<table>',
          collect,
        )
        .option(
          '--events <file>',
          'events as a JSON array of {"type","params"} (before any --event); replaces its events',
        )
        .option(
          '--sinks <file>',
          'sinks as a JSON array of {"type","params"} (before any --sink); replaces its sinks',
        )
        .option(
          '-l, --language <language>',
          'language of a directory to build (default: detected)',
          parseLanguage,
        )
        .option('--no-typecheck', 'TypeScript: build without running tsc --noEmit first'),
    ),
    'fl fn update hello ./hello',
    'fl fn update hello --capacity 128',
  ).action(
    async (
      name: string,
      path: string | undefined,
      opts: ModuleOption & {
        tag?: string;
        capacity?: number;
        rename?: string;
        wait: boolean;
        language?: Language;
        typecheck: boolean;
        json?: boolean;
      } & ConnectionOptions,
    ) => {
      checkName(name, 'function');
      checkName(opts.module, 'module');
      if (opts.rename !== undefined) checkName(opts.rename, 'function');
      const { events, sinks } = await connectionsOf(ctx, opts);
      if (
        path === undefined &&
        opts.tag === undefined &&
        opts.capacity === undefined &&
        opts.rename === undefined &&
        events === undefined &&
        sinks === undefined
      ) {
        throw new CliError('nothing to update: give new code, --tag, --capacity, --rename, events or sinks');
      }
      const loaded =
        path === undefined ? undefined : await loadCode(ctx, path, opts.language, opts.typecheck);
      const api = await ctx.api();
      const data = await ctx.progress().run(`updating ${name}`, () =>
        api.updateFunction(opts.module, name, {
          name: opts.rename,
          code: loaded?.code,
          fileName: loaded?.fileName,
          tag: opts.tag,
          capacityMiB: opts.capacity,
          waitForWorkers: loaded ? opts.wait : undefined,
          events,
          sinks,
        }),
      );
      if (opts.json) return ctx.json(data);
      ctx.out(`updated function ${opts.rename ?? name} in module ${opts.module}${describeCode(data)}`);
      reportConnections(ctx, data);
    },
  );

  example(
    jsonOption(fn.command('get <name>').description('show a function').addOption(moduleOption())),
    'fl fn get hello -m test_mod',
  ).action(async (name: string, opts: ModuleOption & { json?: boolean }) => {
    const data = await (
      await ctx.api()
    ).getFunction(checkName(opts.module, 'module'), checkName(name, 'function'));
    if (opts.json) return ctx.json(data);
    const metadata = (
      typeof data.metadata === 'object' && data.metadata !== null ? data.metadata : {}
    ) as Json;
    const known = new Set(['name', 'module', 'hash', 'size', 'metadata', 'events', 'sinks']);
    const entries: [string, unknown][] = [
      ['name', data.name ?? name],
      ['module', data.module ?? opts.module],
      ['hash', data.hash],
      ['size', data.size],
      ...Object.entries(metadata),
      ...Object.entries(data).filter(([key]) => !known.has(key)),
      ...connectionLines('event', data.events),
      ...connectionLines('sink', data.sinks),
    ];
    ctx.out(formatRecord(entries));
  });

  example(
    jsonOption(
      fn.command('list').alias('ls').description('list the functions of a module').addOption(moduleOption()),
    ),
    'fl fn list',
    'fl fn list -m test_mod --json',
  ).action(async (opts: ModuleOption & { json?: boolean }) => {
    const data = await (await ctx.api()).getModule(checkName(opts.module, 'module'));
    const functions = Array.isArray(data.functions) ? (data.functions as Json[]) : [];
    if (opts.json) return ctx.json(functions);
    if (functions.length === 0) return ctx.out(`no functions in module ${opts.module}`);
    ctx.out(formatTable(functions, functionColumns(functions)));
  });

  example(
    jsonOption(
      fn.command('delete <name>').alias('rm').description('delete a function').addOption(moduleOption()),
    ),
    'fl fn delete hello -m test_mod',
  ).action(async (name: string, opts: ModuleOption & { json?: boolean }) => {
    await (await ctx.api()).deleteFunction(checkName(opts.module, 'module'), checkName(name, 'function'));
    if (opts.json) return ctx.json({ deleted: { module: opts.module, function: name } });
    ctx.out(`deleted function ${name} from module ${opts.module}`);
  });

  example(
    fn
      .command('invoke <name>')
      .description('run a function and print its JSON result on one line')
      .addOption(moduleOption())
      .option('-j, --json-args <json>', 'the arguments as one JSON object')
      .option(
        '-a, --arg <key=value>',
        'one argument; repeat it; values that are JSON keep their type',
        collect,
      )
      .option('--app <script>', 'place the invocation with this APP configuration script')
      .option('--async', 'do not wait: print the id of its activation record (see fl activation)')
      .option('--logs', "print the function's log lines after its result (or its error)"),
    'fl fn invoke hello_test -a name=Test',
    'fl fn invoke hello_test -j \'{"name":"Test"}\'',
    'fl fn invoke sum -m math -a a=1 -a b=2 --app edge_only',
    'fl fn invoke hello_test -a name=Test --logs',
    'fl fn invoke hello_test -a name=Test --async',
  ).action(
    async (
      name: string,
      opts: ModuleOption & {
        jsonArgs?: string;
        arg?: string[];
        app?: string;
        async?: boolean;
        logs?: boolean;
      },
    ) => {
      checkName(name, 'function');
      checkName(opts.module, 'module');
      if (opts.async && opts.logs) {
        throw new CliError('--async and --logs do not go together: run fl activation logs <id> once it ran');
      }
      const body: InvokeRequestBody = { args: invocationArgs({ json: opts.jsonArgs, arg: opts.arg }) };
      if (opts.app !== undefined)
        body.scheduling = { language: 'app', script: checkName(opts.app, 'APP script') };
      const api = await ctx.api();
      if (opts.async) return ctx.out(await api.invokeAsync(opts.module, name, body));
      if (!opts.logs) {
        const result = await api.invoke(opts.module, name, body);
        return ctx.out(JSON.stringify(result ?? null));
      }
      let invoked;
      try {
        invoked = await api.invokeRecorded(opts.module, name, body);
      } catch (error) {
        // A failed function's lines matter most: on stderr, before the error.
        if (error instanceof ApiError && error.activationId !== undefined) {
          const write = (text: string) => ctx.io.stderr.write(text);
          // The error is what the user must see: a failure to read the logs does not replace it.
          await printLogs(api, error.activationId, write, write).catch(() => {});
        }
        throw error;
      }
      ctx.out(JSON.stringify(invoked.result ?? null));
      if (invoked.activationId === undefined) {
        ctx.io.stderr.write('(no logs: this Core keeps no activation records)\n');
        return;
      }
      await printLogs(
        api,
        invoked.activationId,
        (text) => ctx.io.stdout.write(text),
        (text) => ctx.io.stderr.write(text),
      );
    },
  );
}

function describeCode(data: Json): string {
  const parts: string[] = [];
  if (typeof data.hash === 'string') parts.push(`hash ${data.hash.slice(0, 12)}`);
  if (typeof data.size === 'number') parts.push(`${data.size} bytes`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

interface ConnectionOptions {
  event?: string[];
  sink?: string[];
  events?: string;
  sinks?: string;
}

async function connectionsOf(ctx: CommandContext, opts: ConnectionOptions) {
  return {
    events: await connectionEntries(ctx.io.cwd, 'events', opts.events, opts.event),
    sinks: await connectionEntries(ctx.io.cwd, 'sinks', opts.sinks, opts.sink),
  };
}

/** The per-entry errors of a 207 answer, one line each on stderr. */
function reportConnections(ctx: CommandContext, data: Json): void {
  for (const kind of ['events', 'sinks'] as const) {
    const results = Array.isArray(data[kind]) ? (data[kind] as Json[]) : [];
    results.forEach((result, i) => {
      if (result.status === 'error') {
        ctx.io.stderr.write(`warning: ${kind}[${i}]: ${String(result.message)}\n`);
      }
    });
    const summary = data[`${kind}_metadata`] as Json | undefined;
    if (summary) ctx.out(`${kind}: ${String(summary.successful)} of ${String(summary.total)} connected`);
  }
}

/** `event 0: mqtt {...} connected (messages_received 3, ...)`: one line per event or sink. */
function connectionLines(kind: string, list: unknown): [string, unknown][] {
  if (!Array.isArray(list)) return [];
  return (list as Json[]).map((entry, i) => {
    const counters = Object.entries((entry.counters ?? {}) as Json)
      .map(([k, v]) => `${k.replaceAll('_', ' ')} ${String(v)}`)
      .join(', ');
    const error = typeof entry.last_error === 'string' ? entry.last_error : undefined;
    const next = typeof entry.next_attempt_at === 'string' ? `, next attempt ${entry.next_attempt_at}` : '';
    const problem = error === undefined ? '' : `: ${error}${next}`;
    return [
      `${kind} ${i}`,
      `${String(entry.type)} ${JSON.stringify(entry.params)} ${String(entry.state)}${problem}${counters ? ` (${counters})` : ''}`,
    ];
  });
}
