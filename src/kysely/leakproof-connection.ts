import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type { Database, Queryable } from '../core/database.js';
import type { ExecuteResult } from '../drivers/driver.js';
import type { CallOptions } from '../core/call-options.js';
import { HeldTransaction } from './held-transaction.js';

/** Kysely's per-call options (0.29): an AbortSignal for the statement. */
interface KyselyCallOptions {
  readonly signal?: AbortSignal;
}

/** Query nodes whose statement changes rows and, without RETURNING, answers none. */
const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/** A raw statement (`sql\`…\`.execute()`) that writes: Kysely's own drivers answer it with its counts. */
const RAW_WRITE = /^[\s(]*(?:insert|update|delete|replace|merge)\b/i;
const RETURNING = /\breturning\b/i;

/**
 * What Kysely runs its statements on. It is no physical connection: each statement runs
 * through leakproof in the async context it was issued from, so on the request's own lease
 * (or, outside a scope, a lease of its own). Between begin and commit it holds the leakproof
 * transaction, and a stack of savepoints above it.
 */
export class LeakproofConnection implements DatabaseConnection {
  readonly #db: Database;
  readonly #transactions: { name: string | undefined; held: HeldTransaction }[] = [];

  constructor(db: Database) {
    this.#db = db;
  }

  /** Holds no transaction: it may serve another Kysely acquire. */
  get idle(): boolean {
    return this.#transactions.length === 0;
  }

  // A plain `then`, not an async function with an await: one promise fewer per query (see the driver).
  executeQuery<R>(compiled: CompiledQuery, options?: KyselyCallOptions): Promise<QueryResult<R>> {
    const target = this.#target();
    const call = callOptions(options);
    const write = isWrite(compiled);
    if (write && !returnsRows(compiled)) {
      return target.execute(compiled.sql, compiled.parameters, call).then(writeResult);
    }
    return target
      .query<R & object>(compiled.sql, compiled.parameters, call)
      .then((rows) => (write ? { rows, numAffectedRows: BigInt(rows.length) } : { rows }));
  }

  /** `.stream()` reads through `db.stream()`, `chunkSize` rows a batch. */
  async *streamQuery<R>(compiled: CompiledQuery, chunkSize?: number, options?: KyselyCallOptions): AsyncIterableIterator<QueryResult<R>> {
    const stream = this.#target().stream<R & object>(compiled.sql, compiled.parameters, {
      ...callOptions(options),
      ...(chunkSize === undefined ? {} : { batchSize: chunkSize }),
    });
    for await (const row of stream) yield { rows: [row] };
  }

  async begin(): Promise<void> {
    this.#transactions.push({ name: undefined, held: await HeldTransaction.open(this.#db) });
  }

  async commit(): Promise<void> {
    await this.#endFrom(0, true);
  }

  async rollback(): Promise<void> {
    await this.#endFrom(0, false);
  }

  async savepoint(name: string): Promise<void> {
    this.#transactions.push({ name, held: await HeldTransaction.open(this.#target()) });
  }

  /** Releases the savepoint and any taken after it. */
  async releaseSavepoint(name: string): Promise<void> {
    await this.#endFrom(this.#indexOf(name), true);
  }

  /** Rolls back to the savepoint (and drops the ones after it); statements then run in the enclosing transaction. */
  async rollbackToSavepoint(name: string): Promise<void> {
    await this.#endFrom(this.#indexOf(name), false);
  }

  #target(): Queryable {
    return this.#transactions.at(-1)?.held.handle ?? this.#db;
  }

  #indexOf(name: string): number {
    const index = this.#transactions.findLastIndex((entry) => entry.name === name);
    // Already gone (rolled back to, or released with an outer one): nothing is left to end.
    return index < 1 ? this.#transactions.length : index;
  }

  /** Ends the transactions from `index` up, innermost first. */
  async #endFrom(index: number, commit: boolean): Promise<void> {
    while (this.#transactions.length > index) {
      const { held } = this.#transactions.pop()!;
      await (commit ? held.commit() : held.rollback());
    }
  }
}

/** A write's counts as Kysely's own drivers answer them; the keys it has no value for left out. */
function writeResult({ rowsAffected, insertId, rowsChanged }: ExecuteResult): QueryResult<never> {
  const result: { rows: never[]; numAffectedRows: bigint; insertId?: bigint; numChangedRows?: bigint } = {
    rows: [],
    numAffectedRows: BigInt(rowsAffected),
  };
  if (insertId !== undefined) result.insertId = BigInt(insertId);
  if (rowsChanged !== undefined) result.numChangedRows = BigInt(rowsChanged);
  return result;
}

function callOptions(options: KyselyCallOptions | undefined): CallOptions | undefined {
  return options?.signal === undefined ? undefined : { signal: options.signal };
}

function isWrite(compiled: CompiledQuery): boolean {
  return WRITES.has(compiled.query.kind) || (compiled.query.kind === 'RawNode' && RAW_WRITE.test(compiled.sql));
}

/** Whether a write answers rows (RETURNING): a query node says so, a raw statement's text does. */
function returnsRows(compiled: CompiledQuery): boolean {
  if (compiled.query.kind === 'RawNode') return RETURNING.test(compiled.sql);
  return (compiled.query as { returning?: unknown }).returning !== undefined;
}
