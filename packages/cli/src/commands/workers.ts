import type { Command } from 'commander';

import { formatTable, type Column } from '../output/index.js';
import { example, jsonOption, type CommandContext } from './context.js';

type Json = Record<string, unknown>;

// The Core may name fields in camelCase or snake_case: read either.
function field(row: Json, ...names: string[]): unknown {
  for (const name of names) if (row[name] !== undefined) return row[name];
  return undefined;
}

const COLUMNS: Column<Json>[] = [
  { header: 'name', value: (w) => w.name },
  { header: 'tag', value: (w) => w.tag },
  {
    header: 'memory MiB',
    value: (w) => field(w, 'memoryTotalMiB', 'memory_total_mib', 'memory_total'),
    alignRight: true,
  },
  {
    header: 'free MiB',
    value: (w) => field(w, 'memoryFreeMiB', 'memory_free_mib', 'memory_free'),
    alignRight: true,
  },
  { header: 'in flight', value: (w) => field(w, 'inFlight', 'in_flight'), alignRight: true },
  { header: 'threads', value: (w) => w.threads, alignRight: true },
  {
    header: 'CPU',
    // Unknown until the Worker's first report.
    value: (w) => (typeof w.cpuUse === 'number' ? `${Math.round(w.cpuUse * 100)}%` : '-'),
    alignRight: true,
  },
  {
    header: 'load 1/5/15 min',
    value: (w) =>
      Array.isArray(w.loadAverage) ? w.loadAverage.map((l: unknown) => Number(l).toFixed(2)).join(' ') : '-',
  },
  { header: 'running tags', value: (w) => field(w, 'runningTags', 'running_tags') },
  {
    header: 'last report',
    value: (w) => {
      const s = field(w, 'secondsSinceReport', 'seconds_since_report');
      return typeof s === 'number' ? `${s.toFixed(1)} s ago` : s;
    },
  },
];

/** `fl workers`. */
export function registerWorkersCommand(program: Command, ctx: CommandContext): void {
  example(
    jsonOption(program.command('workers').description('list the connected Workers and their resources')),
    'fl workers',
  ).action(async (opts: { json?: boolean }) => {
    const workers = await (await ctx.api()).workers();
    if (opts.json) return ctx.json(workers);
    if (workers.length === 0) return ctx.out('no Workers connected');
    ctx.out(formatTable(workers, COLUMNS));
  });
}
