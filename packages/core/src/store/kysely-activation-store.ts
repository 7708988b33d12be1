import { isLogStream } from '@funless/protocol';
import type { LogLine } from '@funless/protocol';
import type { Database as BetterSqlite3Database } from 'better-sqlite3';
import { sql } from 'kysely';
import type { Kysely, SelectQueryBuilder, Selectable } from 'kysely';

import {
  ACTIVATION_TRIGGERS,
  UNFINISHED_STATUSES,
  ActivationState,
  ActivationTrigger,
} from './activation-store.js';
import type {
  ActivationOutcome,
  ActivationQuery,
  ActivationRecord,
  ActivationStatus,
  ActivationStore,
  ActivationSummary,
  QueuedActivation,
  SinkDelivery,
} from './activation-store.js';
import type { ActivationsTable, Database } from './schema.js';

const SUMMARY_COLUMNS = [
  'activation_id',
  'module',
  'name',
  'hash',
  'worker',
  'trigger',
  'subject',
  'source',
  'status',
  'duration_ms',
  'total_ms',
  'result_truncated',
  'logs_truncated',
] as const;

const RECORD_COLUMNS = [...SUMMARY_COLUMNS, 'error', 'result', 'logs', 'deliveries'] as const;

type SummaryRow = Pick<Selectable<ActivationsTable>, (typeof SUMMARY_COLUMNS)[number]>;
type RecordRow = Pick<Selectable<ActivationsTable>, (typeof RECORD_COLUMNS)[number]>;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Drivers return doubles as numbers and, for some types, integers as strings. */
function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function parseLogs(json: string): LogLine[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (line): line is LogLine =>
      typeof line === 'object' &&
      line !== null &&
      isLogStream((line as LogLine).stream) &&
      typeof (line as LogLine).text === 'string',
  );
}

function toSummary(row: SummaryRow): ActivationSummary {
  return {
    id: row.activation_id,
    module: row.module,
    function: row.name,
    hash: row.hash,
    worker: row.worker,
    trigger: (ACTIVATION_TRIGGERS as readonly string[]).includes(row.trigger)
      ? (row.trigger as ActivationTrigger)
      : ActivationTrigger.Http,
    subject: row.subject,
    source: row.source,
    status: row.status as ActivationStatus,
    durationMs: numberOrNull(row.duration_ms),
    totalMs: numberOrNull(row.total_ms),
    resultTruncated: Number(row.result_truncated) === 1,
    logsTruncated: Number(row.logs_truncated) === 1,
  };
}

function toRecord(row: RecordRow): ActivationRecord {
  return {
    ...toSummary(row),
    error: row.error,
    result: row.result,
    logs: parseLogs(row.logs),
    deliveries: row.deliveries === null ? [] : (JSON.parse(row.deliveries) as SinkDelivery[]),
  };
}

function outcomeColumns(outcome: ActivationOutcome) {
  return {
    status: outcome.status,
    worker: outcome.worker,
    hash: outcome.hash,
    duration_ms: outcome.durationMs,
    total_ms: outcome.totalMs,
    error: outcome.error,
    result: outcome.result,
    result_truncated: outcome.resultTruncated ? 1 : 0,
    logs: JSON.stringify(outcome.logs),
    logs_truncated: outcome.logsTruncated ? 1 : 0,
  };
}

/**
 * The batch insert on SQLite, on a connection of the activation records' own: one prepared
 * statement run for each record in one transaction. Kysely prepares each query it runs, and a
 * multi-row insert of 500 records is a new statement of 7,500 parameters to compile every time: the
 * prepared one costs a third of that per record (docs/activations.md). Safe beside Kysely on the
 * same connection because every other query of the activation store is a single statement.
 */
export class SqliteActivationInsert {
  readonly #insert: (records: readonly ActivationRecord[]) => void;

  constructor(sqlite: BetterSqlite3Database) {
    const statement = (rows: number) =>
      sqlite.prepare(
        `insert into activations (${INSERT_COLUMNS.join(', ')}) values ${Array.from(
          { length: rows },
          () => `(${INSERT_COLUMNS.map(() => '?').join(', ')})`,
        ).join(', ')} on conflict (activation_id) do nothing`,
      );
    // Rows of 64 at a time (a fifth less per record than one by one), the rest one by one.
    const many = statement(ROWS_PER_STATEMENT);
    const one = statement(1);
    this.#insert = sqlite.transaction((records: readonly ActivationRecord[]) => {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= records.length; i += ROWS_PER_STATEMENT) {
        const values: unknown[] = [];
        for (let j = i; j < i + ROWS_PER_STATEMENT; j++) values.push(...insertValues(records[j]!));
        many.run(values);
      }
      for (; i < records.length; i++) one.run(insertValues(records[i]!));
    });
  }

  insert(records: readonly ActivationRecord[]): void {
    this.#insert(records);
  }
}

/** Records one statement of `SqliteActivationInsert` writes: 64 × 17 parameters. */
const ROWS_PER_STATEMENT = 64;

/** The `deliveries` column: null when the result went to no sink. */
function deliveriesColumn(r: ActivationRecord): string | null {
  return r.deliveries && r.deliveries.length > 0 ? JSON.stringify(r.deliveries) : null;
}

/** What `SqliteActivationInsert` binds for one record, in the order of `INSERT_COLUMNS`. */
function insertValues(r: ActivationRecord): unknown[] {
  return [
    r.id,
    r.module,
    r.function,
    r.trigger,
    r.subject,
    r.source ?? null,
    deliveriesColumn(r),
    r.status,
    r.worker,
    r.hash,
    r.durationMs,
    r.totalMs,
    r.error,
    r.result,
    r.resultTruncated ? 1 : 0,
    JSON.stringify(r.logs),
    r.logsTruncated ? 1 : 0,
  ];
}

/** The columns a finished record fills, in the order `SqliteActivationInsert` binds them. */
const INSERT_COLUMNS = [
  'activation_id',
  'module',
  'name',
  'trigger',
  'subject',
  'source',
  'deliveries',
  'status',
  'worker',
  'hash',
  'duration_ms',
  'total_ms',
  'error',
  'result',
  'result_truncated',
  'logs',
  'logs_truncated',
] as const;

/** The PostgreSQL type of each of `INSERT_COLUMNS`, for `jsonb_to_recordset`. */
const PG_TYPES: Record<(typeof INSERT_COLUMNS)[number], string> = {
  activation_id: 'text',
  module: 'text',
  name: 'text',
  trigger: 'text',
  subject: 'text',
  source: 'text',
  deliveries: 'text',
  status: 'text',
  worker: 'text',
  hash: 'text',
  duration_ms: 'double precision',
  total_ms: 'double precision',
  error: 'text',
  result: 'text',
  result_truncated: 'integer',
  logs: 'text',
  logs_truncated: 'integer',
};
const PG_RECORD_TYPES = INSERT_COLUMNS.map((c) => `${c} ${PG_TYPES[c]}`).join(', ');

/** `ActivationStore` on Kysely: the same queries on SQLite and PostgreSQL. */
export class KyselyActivationStore implements ActivationStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** SQLite: the fast batch insert on the same connection as `db`. */
    private readonly sqlite?: SqliteActivationInsert,
  ) {}

  async insert(records: readonly ActivationRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.sqlite) {
      this.sqlite.insert(records);
      return;
    }
    // PostgreSQL: the whole batch as one JSON parameter, unpacked by the server. A multi-row insert
    // would make the Core build and send 15 parameters a record (22 µs of its CPU a record, measured;
    // this costs it the JSON text). A batch written again after its commit was not confirmed (a lost
    // connection) changes nothing.
    const rows = records.map((r) => {
      const o = outcomeColumns(r);
      return {
        activation_id: r.id,
        module: r.module,
        name: r.function,
        trigger: r.trigger,
        subject: r.subject,
        source: r.source ?? null,
        deliveries: deliveriesColumn(r),
        ...o,
      };
    });
    await sql`insert into activations (${sql.join(INSERT_COLUMNS.map((c) => sql.ref(c)))})
      select ${sql.join(INSERT_COLUMNS.map((c) => sql.ref(`t.${c}`)))}
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(${sql.raw(PG_RECORD_TYPES)})
      on conflict (activation_id) do nothing`.execute(this.db);
  }

  async get(id: string): Promise<ActivationRecord | undefined> {
    const row = await this.db
      .selectFrom('activations')
      .select(RECORD_COLUMNS)
      .where('activation_id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(query: ActivationQuery): Promise<ActivationSummary[]> {
    const select = this.filtered(this.db.selectFrom('activations').select(SUMMARY_COLUMNS), query);
    const rows = await select.orderBy('activation_id', 'desc').limit(query.limit).execute();
    return rows.map(toSummary);
  }

  async count(query: Omit<ActivationQuery, 'limit'>, atMost?: number): Promise<number> {
    if (atMost === undefined) {
      const row = await this.filtered(
        this.db.selectFrom('activations').select((eb) => eb.fn.countAll().as('n')),
        query,
      ).executeTakeFirstOrThrow();
      return Number(row.n);
    }
    // Reads at most `atMost` rows (of an index), however many match.
    const row = await this.db
      .selectFrom(
        this.filtered(this.db.selectFrom('activations').select('activation_id'), query)
          .limit(atMost)
          .as('matching'),
      )
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async enqueue(invocation: QueuedActivation): Promise<void> {
    await this.db
      .insertInto('activations')
      .values({
        activation_id: invocation.id,
        module: invocation.module,
        name: invocation.function,
        trigger: ActivationTrigger.Async,
        subject: invocation.subject,
        status: ActivationState.Queued,
        result_truncated: 0,
        logs: '[]',
        logs_truncated: 0,
        input: toBuffer(invocation.input),
        scheduling: invocation.scheduling,
        chain_depth: invocation.chainDepth,
      })
      .execute();
  }

  async queued(limit: number, afterId?: string): Promise<string[]> {
    let select = this.db
      .selectFrom('activations')
      .select('activation_id')
      .where('status', '=', ActivationState.Queued);
    if (afterId !== undefined) select = select.where('activation_id', '>', afterId);
    const rows = await select.orderBy('activation_id').limit(limit).execute();
    return rows.map((r) => r.activation_id);
  }

  async claim(id: string, runner: string, deadline: Date): Promise<QueuedActivation | undefined> {
    // One statement decides who runs it: of two Cores claiming at once, one changes the row.
    const row = await this.db
      .updateTable('activations')
      .set({ status: ActivationState.Running, runner, deadline: deadline.toISOString() })
      .where('activation_id', '=', id)
      .where('status', '=', ActivationState.Queued)
      .returning(['activation_id', 'module', 'name', 'subject', 'input', 'scheduling', 'chain_depth'])
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.activation_id,
      module: row.module,
      function: row.name,
      subject: row.subject,
      input: new Uint8Array(row.input ?? new Uint8Array()),
      scheduling: row.scheduling,
      chainDepth: Number(row.chain_depth ?? 0),
    };
  }

  async release(id: string, runner: string): Promise<boolean> {
    const result = await this.db
      .updateTable('activations')
      .set({ status: ActivationState.Queued, runner: null, deadline: null })
      .where('activation_id', '=', id)
      .where('status', '=', ActivationState.Running)
      .where('runner', '=', runner)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async finish(id: string, outcome: ActivationOutcome): Promise<void> {
    await this.db
      .updateTable('activations')
      .set({
        ...outcomeColumns(outcome),
        input: null,
        scheduling: null,
        chain_depth: null,
        runner: null,
        deadline: null,
      })
      .where('activation_id', '=', id)
      .execute();
  }

  async interrupt(message: string, options: { runner: string } | { now: Date }): Promise<number> {
    let update = this.db
      .updateTable('activations')
      .set({
        status: ActivationState.Interrupted,
        error: message,
        input: null,
        scheduling: null,
        runner: null,
        deadline: null,
      })
      .where('status', '=', ActivationState.Running);
    update =
      'runner' in options
        ? update.where('runner', '=', options.runner)
        : update.where('deadline', '<', options.now.toISOString());
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async deleteBelow(belowId: string, batch: number): Promise<number> {
    const result = await this.db
      .deleteFrom('activations')
      .where('activation_id', 'in', (eb) =>
        eb
          .selectFrom('activations')
          .select('activation_id')
          .where('activation_id', '<', belowId)
          .where('status', 'not in', UNFINISHED_STATUSES)
          .orderBy('activation_id')
          .limit(batch),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async keptFrom(keep: number): Promise<string | undefined> {
    if (keep < 1) throw new RangeError(`keep must be at least 1, got ${keep}`);
    const row = await this.db
      .selectFrom('activations')
      .select('activation_id')
      .where('status', 'not in', UNFINISHED_STATUSES)
      .orderBy('activation_id', 'desc')
      .limit(1)
      .offset(keep - 1)
      .executeTakeFirst();
    return row?.activation_id;
  }

  private filtered<O>(
    select: SelectQueryBuilder<Database, 'activations', O>,
    query: Omit<ActivationQuery, 'limit'>,
  ): SelectQueryBuilder<Database, 'activations', O> {
    let s = select;
    if (query.fromId !== undefined) s = s.where('activation_id', '>=', query.fromId);
    if (query.belowId !== undefined) s = s.where('activation_id', '<', query.belowId);
    if (query.module !== undefined) s = s.where('module', '=', query.module);
    if (query.function !== undefined) s = s.where('name', '=', query.function);
    if (query.status !== undefined) s = s.where('status', '=', query.status);
    return s;
  }
}
