/**
 * The pg driver: one raw `pg.Client` per `connect()` (never pg-pool).
 *
 * `inTransaction` reads the status byte of the last ReadyForQuery message ('I' idle,
 * 'T' in a transaction, 'E' in a failed transaction), which PostgreSQL sends after every
 * statement; 'E' counts as in a transaction since only a ROLLBACK leaves it.
 *
 * @module
 */
import type { Client, ClientConfig, CustomTypesConfig } from 'pg';
import type {
  ArrayResult,
  ConnectionSettings,
  Driver,
  DriverConnection,
  DriverRowStream,
  DriverStreamOptions,
  ExecuteResult,
  ReadOptions,
} from '../driver.js';
import { BrokenSignal } from '../broken-signal.js';
import { definedOnly, withSettings } from '../connect-params.js';
import { typedParams } from '../option-rules.js';
import { connectWithAttempts, serverHasNoTls, type TlsAttempt } from '../tls.js';
import { PG_OPTION_RULES, PG_TLS_KEYS, pgTlsAttempts, pgTlsRequest } from './pg-options.js';
import { markConnectError } from '../error-class.js';
import { importPackage } from '../import-package.js';
import { StatementCache } from '../statement-cache.js';
import { closeGracefully } from '../time-bound.js';
import { postgresTransactionSql } from '../transaction-sql.js';
import { classifyPostgresError, isPostgresStatementTimeout, isStalePlan, wasPostgresCancelled } from './postgres-errors.js';
import { loadCursor, PgRowStream } from './pg-row-stream.js';
import { type CancelChannel, type CancelTarget, readPostgresLimits, sendCancelRequest, terminateBackend } from './postgres-session.js';

type Pg = typeof import('pg');

const DEFAULT_PORT = 5432;

type QueryCallback = ConstructorParameters<Pg['Query']>[2];

/** pg's record of the named statements it has parsed on a session (pg ≥ 8.0). */
interface PgParsedStatements {
  readonly connection: { parsedStatements?: Record<string, string> };
}

/** Fields pg sets on every client that its typings leave out. */
interface ClientInternals {
  processID?: number | null;
  secretKey?: number | null;
  getTransactionStatus?: () => string | null;
}

/** Loads pg (DRIVER_MISSING if absent) and returns the driver for one alias. */
export async function createPgDriver(settings: ConnectionSettings): Promise<Driver> {
  const pg = await importPackage<Pg>('pg', 'postgres');
  return Object.freeze({
    engine: 'postgres',
    packageName: 'pg',
    connect: () => connectPg(pg, settings),
    readServerLimits: readPostgresLimits,
    cancelBy: 'request',
    cancel: (target: DriverConnection) => cancelBackend(pg, target),
    endSession: terminateBackend,
    wasCancelled: wasPostgresCancelled,
    isStatementTimeout: isPostgresStatementTimeout,
    classifyError: classifyPostgresError,
    sql: postgresTransactionSql,
  });
}

class PgConnection implements DriverConnection {
  readonly serverId: number;
  /** Where and with which key (sent by the backend at startup) a CancelRequest goes. */
  readonly cancelTarget: CancelTarget;
  readonly #client: Client;
  readonly #Query: Pg['Query'];
  /** Read settings with pg's type parsers that leave dates and times as text (`dateStrings`), as objects and as arrays. */
  readonly #textDates: PgReading;
  readonly #arraysTextDates: PgReading;
  readonly #transactionStatus: () => string | null;
  readonly #broken = new BrokenSignal();
  /** Parameterised statements kept prepared on this session; undefined when the cache is off. */
  readonly #statements: StatementCache | undefined;
  /** Cached statements to prepare again under a new name on their next run. */
  readonly #staleSql = new Set<string>();
  /** Names to deallocate on the server before the next statement. */
  readonly #unprepare: string[] = [];

  private constructor(pg: Pg, client: Client, transactionStatus: () => string | null, statementCache: number) {
    const internals = client as unknown as ClientInternals;
    this.#Query = pg.Query;
    this.#textDates = { types: textDates(pg.types) };
    this.#arraysTextDates = { ...ARRAYS, ...this.#textDates };
    this.#client = client;
    this.#transactionStatus = transactionStatus;
    this.#statements = statementCache > 0 ? new StatementCache(statementCache) : undefined;
    this.serverId = internals.processID ?? 0;
    // The client's own host and port: driverOptions or PG* environment variables may have set them.
    this.cancelTarget = {
      host: client.host || 'localhost',
      port: client.port || DEFAULT_PORT,
      processID: this.serverId,
      secretKey: internals.secretKey ?? 0,
    };
    // pg emits 'error' at once when the server ends an idle session (57P01 after
    // pg_terminate_backend) or the socket drops, and throws if nobody listens.
    client.on('error', (error: Error) => this.#broken.fire(error));
    client.on('end', () => this.#broken.fire(new Error('Connection terminated unexpectedly')));
  }

  static async open(pg: Pg, settings: ConnectionSettings): Promise<PgConnection> {
    let client: Client | undefined;
    try {
      client = new pg.Client(pgOptions(settings));
      const transactionStatus = watchTransactionStatus(client);
      await client.connect();
      return new PgConnection(pg, client, transactionStatus, settings.statementCache);
    } catch (error) {
      // A late 'error' from a client that failed to open must not crash the process.
      client?.on('error', () => {});
      destroyClient(client);
      throw markConnectError(error);
    }
  }

  // pg's callback form and one promise of our own: this is the per-query path, where each
  // extra promise also runs AsyncLocalStorage's hook on Node 20.
  query(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<Record<string, unknown>[]> {
    return this.#send(sql, params, rowsOf, this.#reading(undefined, read));
  }

  queryArrays(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<ArrayResult> {
    return this.#send(sql, params, arrayResultOf, this.#reading('array', read));
  }

  execute(sql: string, params?: readonly unknown[]): Promise<ExecuteResult> {
    return this.#send(sql, params, executeResultOf);
  }

  async stream(sql: string, params: readonly unknown[] | undefined, options: DriverStreamOptions): Promise<DriverRowStream> {
    const Cursor = await loadCursor();
    const cursor = this.#client.query(
      // A copy: the settings are shared by every statement of the connection.
      new Cursor(sql, params as unknown[] | undefined, { ...this.#reading(options.rowMode === 'array' ? 'array' : undefined, options) }),
    );
    return new PgRowStream(cursor, options.batchSize, (error) => this.#noteFailure(error));
  }

  /** pg's per-statement read settings, made once; undefined for its defaults (the common case: no config object). */
  #reading(rowMode: 'array' | undefined, read: ReadOptions | undefined): PgReading | undefined {
    const dates = read?.dateStrings === true;
    if (rowMode === 'array') return dates ? this.#arraysTextDates : ARRAYS;
    return dates ? this.#textDates : undefined;
  }

  #send<T>(
    sql: string,
    params: readonly unknown[] | undefined,
    shape: (result: PgResult | PgResult[]) => T,
    reading?: PgReading,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (error: Error | null, result: unknown, stale: boolean): void => {
        if (error === null || error === undefined) return resolve(shape(result as PgResult | PgResult[]));
        // The table changed under the prepared statement, or the session lost it. Outside a
        // transaction the failed run had no effect, so it goes again at once, prepared
        // afresh; inside one the transaction is already aborted: the error is the answer.
        if (stale && isStalePlan(error) && this.#statements?.has(sql) === true) {
          this.#staleSql.add(sql);
          if (this.#transactionStatus() === 'I') return this.#run(sql, params, reading, (again, rows) => settle(again, rows, false));
        }
        this.#noteFailure(error);
        reject(error);
      };
      this.#run(sql, params, reading, (error, result) => settle(error, result, true));
    });
  }

  /**
   * Sends one statement: parameterised ones under the cache's name for them (a statement
   * without parameters may be several, which only the simple protocol runs). Names evicted or
   * gone stale are deallocated first, in one round trip that only an eviction costs. A
   * statement is issued only once pg has nothing queued, so pg never queues two of ours.
   * `reading` is pg's alone (rows as arrays, type parsers): the statement prepared is the same.
   */
  #run(
    sql: string,
    params: readonly unknown[] | undefined,
    reading: PgReading | undefined,
    done: (error: Error | null, result: unknown) => void,
  ): void {
    const name = this.#statements !== undefined && params !== undefined && params.length > 0 ? this.#nameFor(sql) : undefined;
    const send = (): void => {
      // A text, not a config object, where it can be: pg copies a config object's property
      // descriptors on every call (1.7 % of the server's CPU in a profile).
      const text = reading === undefined ? sql : { text: sql, ...reading };
      // pg treats undefined values as none (a simple query).
      if (name === undefined) return void this.#client.query(text as string, params as unknown[], done);
      const query = new this.#Query(text, params as unknown[], done as QueryCallback) as InstanceType<Pg['Query']> & { name?: string };
      query.name = name;
      this.#client.query(query);
    };
    if (this.#unprepare.length === 0) return send();
    const names = this.#unprepare.splice(0);
    // In a failed transaction DEALLOCATE cannot run; those statements then live until the session ends.
    this.#client.query(names.map((each) => `DEALLOCATE ${each}`).join('; '), send);
  }

  #nameFor(sql: string): string {
    const cache = this.#statements!;
    const stale = this.#staleSql.delete(sql) ? cache.forget(sql) : undefined;
    const { name, evicted } = cache.nameFor(sql);
    for (const old of [stale, evicted]) if (old !== undefined) this.#forgetParsed(old);
    return name;
  }

  /** pg remembers what it parsed on this session; a name it still knew would skip the Parse. */
  #forgetParsed(name: string): void {
    delete (this.#client as unknown as PgParsedStatements).connection.parsedStatements?.[name];
    this.#unprepare.push(name);
  }

  /** A command that fails because the connection died is the moment some deaths are noticed. */
  #noteFailure(error: unknown): void {
    if (classifyPostgresError(error) === 'connection') this.#broken.fire(error);
  }

  inTransaction(): boolean {
    const status = this.#transactionStatus();
    return status === 'T' || status === 'E';
  }

  /** An empty query: one round trip (EmptyQueryResponse + ReadyForQuery), nothing to parse or plan. */
  async ping(): Promise<void> {
    await this.#send('', undefined, () => undefined);
  }

  isBroken(): boolean {
    return this.#broken.broken;
  }

  onBroken(callback: (error: Error) => void): void {
    this.#broken.subscribe(callback);
  }

  /** Sends Terminate; pg itself destroys the socket instead if a query is still running. */
  async close(): Promise<void> {
    this.#broken.closing();
    if (this.#broken.broken) return this.destroy();
    await closeGracefully(
      () => this.#client.end(),
      () => this.destroy(),
    );
  }

  destroy(): void {
    this.#broken.closing();
    destroyClient(this.#client);
  }
}

/** What pg takes as a statement's `types`: its parser for each type oid. */
type PgTypes = CustomTypesConfig;

/** A statement's read settings in pg's own names. */
interface PgReading {
  readonly rowMode?: 'array';
  readonly types?: PgTypes;
}

const ARRAYS: PgReading = { rowMode: 'array' };

/**
 * timestamptz, timestamp, date, interval, their arrays and numeric[]: the types drizzle-orm's
 * node-postgres session reads as text, so that its columns parse them themselves (a timestamp
 * without zone as UTC, a date as the date it is), not pg's defaults in the process's zone.
 */
const TEXT_DATE_OIDS = new Set([1184, 1114, 1082, 1186, 1185, 1115, 1182, 1187, 1231]);

function textDates(types: Pg['types']): PgTypes {
  const asText = (value: string): string => value;
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      TEXT_DATE_OIDS.has(oid) ? asText : types.getTypeParser(oid, format)) as PgTypes['getTypeParser'],
  };
}

interface PgResult {
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number | null;
  readonly fields?: readonly { readonly name: string }[];
}

/** Several statements in one string (no params) give one result each: the last one counts. */
function lastResult(result: PgResult | PgResult[]): PgResult {
  return Array.isArray(result) ? result[result.length - 1]! : result;
}

function rowsOf(result: PgResult | PgResult[]): Record<string, unknown>[] {
  return lastResult(result).rows;
}

function arrayResultOf(result: PgResult | PgResult[]): ArrayResult {
  const last = lastResult(result);
  return { rows: last.rows as unknown as unknown[][], fields: (last.fields ?? []).map(({ name }) => ({ name })) };
}

function executeResultOf(result: PgResult | PgResult[]): ExecuteResult {
  return { rowsAffected: lastResult(result).rowCount ?? 0, insertId: undefined };
}

/**
 * pg 8.21+ exposes the ReadyForQuery status as `client.getTransactionStatus()`. Older 8.x only
 * emit the message on the client's `connection` (pg-protocol's ReadyForQueryMessage.status),
 * so listen there; the listener must be attached before connect to see the first status.
 */
function watchTransactionStatus(client: Client): () => string | null {
  const internals = client as unknown as ClientInternals;
  if (typeof internals.getTransactionStatus === 'function') return () => internals.getTransactionStatus?.() ?? null;
  let status: string | null = null;
  client.connection.on('readyForQuery', (message: { status?: string }) => {
    status = message.status ?? null;
  });
  return () => status;
}

/** pg has no public "close the socket now"; its own end() does this when a query hangs. */
function destroyClient(client: Client | undefined): void {
  try {
    client?.connection.stream.destroy();
  } catch {
    // Never connected or already closed.
  }
}

function pgOptions(settings: ConnectionSettings): ClientConfig {
  return {
    ...definedOnly({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
    }),
    connectionTimeoutMillis: settings.connectTimeout,
    // Off in pg by default: without it a pooled connection behind a dead network looks alive.
    ...(settings.keepAliveDelay > 0 ? { keepAlive: true, keepAliveInitialDelayMillis: settings.keepAliveDelay } : {}),
    // A startup parameter, so it costs no round trip and survives PgBouncer's pooling.
    ...(settings.statementTimeout > 0 ? { statement_timeout: Math.round(settings.statementTimeout) } : {}),
    ...pgParams(settings.params),
    ...withoutTlsKeys(settings.driverOptions),
  };
}

/** URL parameters, typed as pg expects them (checked by createDatabases); libpq's TLS ones are mapped by `connectPg`. */
function pgParams(params: Readonly<Record<string, string>>): Record<string, unknown> {
  return withoutTlsKeys(typedParams(PG_OPTION_RULES, params));
}

function withoutTlsKeys(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...options };
  for (const key of PG_TLS_KEYS) delete rest[key];
  return rest;
}

/**
 * Opens a client the way libpq would for the URL's `sslmode`: `prefer` goes on in plaintext
 * when the server has no TLS, `allow` tries TLS when the server refused plaintext (SQLSTATE
 * 28xxx, pg_hba.conf's `hostssl`). pg alone reads `prefer`, `require` and `verify-ca` as
 * `verify-full` and cannot fall back at all.
 */
function connectPg(pg: Pg, settings: ConnectionSettings): Promise<PgConnection> {
  const attempts = pgTlsAttempts(pgTlsRequest(settings.params, settings.driverOptions));
  if (attempts.length === 1 && attempts[0] === undefined) return PgConnection.open(pg, settings);
  return connectWithAttempts(
    attempts as readonly TlsAttempt[],
    (ssl) => PgConnection.open(pg, withSettings(settings, { driverOptions: { ...settings.driverOptions, ssl } })),
    (error, ssl) => (ssl === false ? /^28/.test(String((error as { code?: unknown }).code)) : serverHasNoTls(error)),
  );
}

/** A plain socket even when the session uses TLS: the server accepts a CancelRequest either way. */
async function cancelBackend(pg: Pg, connection: DriverConnection): Promise<void> {
  if (!(connection instanceof PgConnection) || connection.serverId === 0) return;
  await sendCancelRequest(new pg.Connection() as unknown as CancelChannel, connection.cancelTarget);
}
