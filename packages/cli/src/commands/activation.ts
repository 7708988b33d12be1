import { setTimeout as sleep } from 'node:timers/promises';

import { ACTIVATION_ID_PATTERN } from '@funless/protocol';
import { Option, type Command } from 'commander';

import { checkName } from '../args/index.js';
import type { ActivationFilters, FunlessApi } from '../client/index.js';
import { CliError } from '../errors/index.js';
import { cellText, formatRecord, formatTable, type Column } from '../output/index.js';
import { example, jsonOption, type CommandContext } from './context.js';

type Json = Record<string, unknown>;

/** Statuses of an activation that has not ended yet. */
const UNFINISHED = new Set(['queued', 'running']);

/** The most activations one `fl activation list` asks for (the Core's own maximum). */
const LIST_MAX = 1000;

function checkId(id: string): string {
  if (!ACTIVATION_ID_PATTERN.test(id)) {
    throw new CliError(`"${id}" is not an activation id: ids are 32 lowercase hex digits`);
  }
  return id;
}

function parseLimit(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(n >= 1 && n <= LIST_MAX)) {
    throw new CliError(`--limit must be a whole number from 1 to ${LIST_MAX}, got "${value}"`);
  }
  return n;
}

function parseInterval(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(n >= 0.1 && n <= 3600)) {
    throw new CliError(`--interval must be a number of seconds from 0.1 to 3600, got "${value}"`);
  }
  return n;
}

/** A time in ms as the tables show it: `0.412 ms`, `1.2 s`. */
export function formatDuration(ms: unknown): string {
  if (typeof ms !== 'number') return '-';
  if (ms < 1000) return `${Number(ms.toFixed(3))} ms`;
  return `${Number((ms / 1000).toFixed(2))} s`;
}

const fnName = (a: Json): string => `${String(a.module)}/${String(a.function)}`;

const COLUMNS: Column<Json>[] = [
  { header: 'id', value: (a) => a.activation_id },
  { header: 'function', value: fnName },
  { header: 'status', value: (a) => a.status },
  { header: 'start', value: (a) => a.start },
  { header: 'duration', value: (a) => formatDuration(a.duration_ms), alignRight: true },
];

/** One activation on one line, in fixed columns (`fl activation poll` prints as they come). */
function activationLine(a: Json): string {
  return [
    cellText(a.activation_id).padEnd(32),
    fnName(a).padEnd(24),
    cellText(a.status).padEnd(16),
    cellText(a.start).padEnd(24),
    formatDuration(a.duration_ms).padStart(10),
  ]
    .join('  ')
    .trimEnd();
}

/** A log line as printed: `<stream>: <text>`. */
function logLine(line: { stream: string; text: string }): string {
  return `${line.stream}: ${line.text}`;
}

/** Prints an activation's log lines on `write`, and a note when they were cut. */
export async function printLogs(
  api: FunlessApi,
  id: string,
  write: (text: string) => void,
  note: (text: string) => void,
): Promise<void> {
  const logs = await api.activationLogs(id);
  for (const line of logs.data) write(`${logLine(line)}\n`);
  if (logs.truncated) note('(logs were cut at the limit of 64 KiB per invocation)\n');
}

interface FilterOptions {
  fn?: string;
  module?: string;
  status?: string;
}

function filtersOf(opts: FilterOptions): ActivationFilters {
  const filters: ActivationFilters = {};
  if (opts.fn !== undefined) filters.function = checkName(opts.fn, 'function');
  if (opts.module !== undefined) filters.module = checkName(opts.module, 'module');
  if (opts.status !== undefined) filters.status = opts.status;
  return filters;
}

function withFilters(command: Command): Command {
  return command
    .option('--fn <name>', 'only activations of functions of this name')
    .addOption(new Option('-m, --module <module>', 'only activations of functions of this module'))
    .option('--status <status>', 'only this status: success, queued, running, interrupted, or an error code');
}

/** `fl activation list|get|logs|result|poll`: what ran, from the Core's activation records. */
export function registerActivationCommands(program: Command, ctx: CommandContext): void {
  const activation = program
    .command('activation')
    .description('show what ran: activation records, their results and logs');
  example(
    activation,
    'fl activation list',
    'fl activation logs 01a2318218a0e1f3b5a04c7d6e9f0a1b',
    'fl activation poll',
  );

  example(
    jsonOption(
      withFilters(
        activation.command('list').alias('ls').description('list activations, newest first'),
      ).option('--limit <n>', `most activations to list (1-${LIST_MAX}; Core default: 50)`, parseLimit),
    ),
    'fl activation list',
    'fl activation list --fn hello -m _ --status trap --limit 10',
  ).action(async (opts: FilterOptions & { limit?: number; json?: boolean }) => {
    const filters = filtersOf(opts);
    if (opts.limit !== undefined) filters.limit = opts.limit;
    const page = await (await ctx.api()).listActivations(filters);
    if (opts.json) return ctx.json(page.data);
    if (page.data.length === 0) return ctx.out('no activations');
    ctx.out(formatTable(page.data, COLUMNS));
    if (page.next_cursor !== null && page.total !== undefined) {
      ctx.io.stderr.write(`(${page.data.length} of ${page.total}; use --limit to see more)\n`);
    }
  });

  example(
    jsonOption(activation.command('get <id>').description('show an activation, whole')),
    'fl activation get 01a2318218a0e1f3b5a04c7d6e9f0a1b',
  ).action(async (id: string, opts: { json?: boolean }) => {
    const a = await (await ctx.api()).getActivation(checkId(id));
    if (opts.json) return ctx.json(a);
    const logs = Array.isArray(a.logs) ? a.logs.length : 0;
    ctx.out(
      formatRecord([
        ['id', a.activation_id],
        ['function', fnName(a)],
        ['status', a.status],
        ['trigger', a.trigger],
        ['subject', a.subject],
        ['worker', a.worker],
        ['hash', typeof a.hash === 'string' ? a.hash.slice(0, 12) : a.hash],
        ['start', a.start],
        ['duration', formatDuration(a.duration_ms)],
        ['total', formatDuration(a.total_ms)],
        ['error', a.error],
        ['result', a.result_truncated === true ? `${cellText(a.result)} … (cut)` : a.result],
        ['logs', `${logs} line${logs === 1 ? '' : 's'}${a.logs_truncated === true ? ' (cut)' : ''}`],
      ]),
    );
  });

  example(
    jsonOption(
      activation.command('logs <id>').description("print an activation's log lines, with their streams"),
    ),
    'fl activation logs 01a2318218a0e1f3b5a04c7d6e9f0a1b',
  ).action(async (id: string, opts: { json?: boolean }) => {
    const api = await ctx.api();
    if (opts.json) return ctx.json(await api.activationLogs(checkId(id)));
    await printLogs(
      api,
      checkId(id),
      (text) => ctx.io.stdout.write(text),
      (text) => ctx.io.stderr.write(text),
    );
  });

  example(
    activation
      .command('result <id>')
      .description("print an activation's JSON result on one line (fails when it failed or has not ended)"),
    'fl activation result 01a2318218a0e1f3b5a04c7d6e9f0a1b',
  ).action(async (id: string) => {
    const a = await (await ctx.api()).getActivation(checkId(id));
    if (UNFINISHED.has(String(a.status))) {
      throw new CliError(`activation ${id} is ${String(a.status)}: it has no result yet`);
    }
    if (a.status !== 'success') {
      throw new CliError(`activation ${id} failed (${String(a.status)}): ${String(a.error)}`);
    }
    if (a.result_truncated === true) {
      ctx.io.stderr.write('(the result was cut at the 64 KiB an activation record keeps)\n');
      return ctx.out(String(a.result));
    }
    ctx.out(JSON.stringify(a.result ?? null));
  });

  example(
    withFilters(
      activation.command('poll').description('print new activations as they finish, until Ctrl-C'),
    ).option('--interval <seconds>', 'time between two looks at the Core (default 1)', parseInterval),
    'fl activation poll',
    'fl activation poll --fn hello',
  ).action(async (opts: FilterOptions & { interval?: number }) => {
    await poll(ctx, filtersOf(opts), (opts.interval ?? 1) * 1000);
  });
}

/** Ids remembered as printed; older ones are forgotten first. */
const PRINTED_MAX = 10_000;
/** Pages read in one look, at most. */
const PAGES_PER_LOOK = 10;

/**
 * Follows the activations that finish from now on: every `intervalMs` it reads those accepted
 * since the oldest one it still waits for (or the newest it has seen), and prints each once it has
 * ended. Stops on Ctrl-C (SIGINT), or when `ctx.io.signal` aborts.
 */
async function poll(ctx: CommandContext, filters: ActivationFilters, intervalMs: number): Promise<void> {
  const api = await ctx.api();
  const controller = new AbortController();
  const signal = ctx.io.signal ?? controller.signal;
  const onSigint = () => controller.abort();
  if (!ctx.io.signal) process.once('SIGINT', onSigint);
  try {
    // Only what is newer than the newest record now: poll follows, it does not replay.
    const newest = (await api.listActivations({ ...filters, limit: 1 })).data[0];
    let floor = typeof newest?.activation_id === 'string' ? newest.activation_id : undefined;
    const printed = new Set<string>();
    if (floor !== undefined) printed.add(floor);
    ctx.io.stderr.write('following new activations (Ctrl-C to stop)\n');
    while (!signal.aborted) {
      const since = floor === undefined ? undefined : String(parseInt(floor.slice(0, 12), 16));
      const seen: Json[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < PAGES_PER_LOOK && !signal.aborted; page++) {
        const got = await api.listActivations({
          ...filters,
          ...(since === undefined ? {} : { since }),
          limit: LIST_MAX,
          ...(cursor === undefined ? {} : { cursor }),
        });
        seen.push(...got.data);
        if (got.next_cursor === null) break;
        cursor = got.next_cursor;
      }
      let oldestUnfinished: string | undefined;
      // Oldest first, so the lines come in the order the invocations were accepted.
      for (const a of seen.reverse()) {
        const id = String(a.activation_id);
        if (printed.has(id) || (floor !== undefined && id < floor)) continue;
        if (UNFINISHED.has(String(a.status))) {
          oldestUnfinished ??= id;
          continue;
        }
        ctx.out(activationLine(a));
        printed.add(id);
        if (printed.size > PRINTED_MAX) printed.delete(printed.values().next().value!);
      }
      const newestSeen = seen.at(-1)?.activation_id;
      floor = oldestUnfinished ?? (typeof newestSeen === 'string' ? newestSeen : floor);
      await sleep(intervalMs, undefined, { signal }).catch(() => {});
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
