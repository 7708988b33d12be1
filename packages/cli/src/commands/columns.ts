import type { Column } from '../output/index.js';

type Json = Record<string, unknown>;

function metadata(row: Json): Json {
  return typeof row.metadata === 'object' && row.metadata !== null ? (row.metadata as Json) : {};
}

const FUNCTION_COLUMNS: Column<Json>[] = [
  { header: 'name', value: (f) => f.name },
  { header: 'hash', value: (f) => (typeof f.hash === 'string' ? f.hash.slice(0, 12) : f.hash) },
  { header: 'size', value: (f) => f.size, alignRight: true },
  { header: 'tag', value: (f) => f.tag ?? metadata(f).tag },
  { header: 'capacity', value: (f) => f.capacity ?? metadata(f).capacity, alignRight: true },
];

/**
 * Columns for a list of functions: name always, the others only when some row has them, since the
 * Core may list names alone.
 */
export function functionColumns(rows: readonly Json[]): Column<Json>[] {
  return FUNCTION_COLUMNS.filter(
    (column, i) =>
      i === 0 || rows.some((row) => column.value(row) !== undefined && column.value(row) !== null),
  );
}
