/**
 * The mysql2 driver: one raw `mysql2` connection per `connect()` (never mysql2's pool).
 *
 * Statements go over the text protocol (`connection.query`, with mysql2's quote-aware
 * client-side `?` substitution), not `execute`: prepared statements are per connection, and
 * with short-lived connections (one per request when `maxLifetime` is 0) nearly every `execute`
 * would pay a PREPARE round trip for a statement that is thrown away at close. The text protocol
 * is also what the mariadb connector's `query` uses, so both MySQL drivers return the same types,
 * and it is what lets `mysql2-server-status.ts` read the transaction flag from the packets.
 *
 * @module
 */
import type { Connection, ConnectionOptions, QueryError, QueryOptions } from 'mysql2';
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
import { definedOnly } from '../connect-params.js';
import { typedParams } from '../option-rules.js';
import { MYSQL2_URL_RULES } from './mysql2-options.js';
import { connectMysql, withoutMysqlTlsKeys } from './mysql-tls.js';
import { markConnectError } from '../error-class.js';
import { importPackage } from '../import-package.js';
import { closeGracefully } from '../time-bound.js';
import { classifyMysqlError } from './mysql-errors.js';
import { arrayResult, datesAsAsked, lastRowSet, toExecuteResult } from './mysql-results.js';
import { MysqlRowStream } from './mysql-row-stream.js';
import { ServerStatusTracker } from './mysql2-server-status.js';
import { statementTimeoutSql } from './mysql-session.js';
import { mysqlDriver } from './mysql-driver.js';

type Mysql2 = typeof import('mysql2');

/**
 * mysql2 allocates its prepared-statement LRU at connect (default 16,000 entries, most of a
 * ~2 ms connect). Without statementCache leakproof never prepares, so a small cache only guards
 * `driverOptions` users; with it, the LRU is statementCache (mysql2 closes what it evicts).
 */
const MAX_PREPARED_STATEMENTS = 16;

/** Loads mysql2 (DRIVER_MISSING if absent) and returns the driver for one alias. */
export async function createMysql2Driver(settings: ConnectionSettings): Promise<Driver> {
  const mysql2 = await importPackage<Mysql2>('mysql2', 'mysql');
  return mysqlDriver('mysql2', settings, (connectSettings) =>
    connectMysql(connectSettings, 'mysql2', (tlsSettings) => Mysql2Connection.open(mysql2, tlsSettings)),
  );
}

class Mysql2Connection implements DriverConnection {
  readonly serverId: number;
  readonly #connection: Connection;
  readonly #status: ServerStatusTracker;
  readonly #broken = new BrokenSignal();
  /** statementCache > 0: scalar-parameter statements go through mysql2's execute(), prepared on the server. */
  readonly #prepares: boolean;

  private constructor(connection: Connection, status: ServerStatusTracker, prepares: boolean) {
    this.#connection = connection;
    this.#status = status;
    this.#prepares = prepares;
    this.serverId = connection.threadId;
    // mysql2 emits 'error' for a death while idle (and throws if nobody listens), but only
    // 'end' when the socket closes under a running command: listen to both.
    connection.on('error', (error: Error) => this.#broken.fire(error));
    connection.on('end', () => this.#broken.fire(connectionLost()));
  }

  static async open(mysql2: Mysql2, settings: ConnectionSettings): Promise<Mysql2Connection> {
    let raw: Connection | undefined;
    try {
      raw = mysql2.createConnection(mysql2Options(settings));
      const status = ServerStatusTracker.attach(raw);
      await handshake(raw);
      const connection = new Mysql2Connection(raw, status, settings.statementCache > 0);
      await connection.#applySession(settings);
      return connection;
    } catch (error) {
      if (raw !== undefined) discard(raw);
      throw markConnectError(error);
    }
  }

  async #applySession(settings: ConnectionSettings): Promise<void> {
    if (settings.statementTimeout <= 0) return;
    await this.execute(statementTimeoutSql(await this.#serverVersion(), settings.statementTimeout));
  }

  /** The version string of the handshake (no round trip); mysql2 keeps it on an internal field. */
  async #serverVersion(): Promise<string> {
    const handshake = (this.#connection as unknown as { _handshakePacket?: { serverVersion?: unknown } })._handshakePacket;
    if (typeof handshake?.serverVersion === 'string') return handshake.serverVersion;
    const rows = await this.query('SELECT VERSION() AS version');
    const version = rows[0]?.['version'];
    return typeof version === 'string' ? version : '';
  }

  // One promise per statement, made in #send: this is the per-query path, where each extra
  // promise also runs AsyncLocalStorage's hook on Node 20.
  query(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<Record<string, unknown>[]> {
    return this.#send(read?.dateStrings === true ? { sql, dateStrings: true } : sql, params, lastRowSet);
  }

  queryArrays(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<ArrayResult> {
    return this.#send(datesAsAsked({ sql, rowsAsArray: true }, read), params, arrayResult);
  }

  execute(sql: string, params?: readonly unknown[]): Promise<ExecuteResult> {
    return this.#send(sql, params, toExecuteResult);
  }

  /** mysql2's row stream pauses the socket once `highWaterMark` rows wait unread. */
  async stream(sql: string, params: readonly unknown[] | undefined, options: DriverStreamOptions): Promise<DriverRowStream> {
    const rows = this.#connection
      .query(datesAsAsked({ sql, rowsAsArray: options.rowMode === 'array' }, options), mysql2Values(params))
      .stream({ highWaterMark: options.batchSize });
    rows.on('error', (error: unknown) => this.#noteFailure(error));
    return new MysqlRowStream(rows, options.batchSize);
  }

  #send<T>(sql: string | QueryOptions, params: readonly unknown[] | undefined, shape: (result: unknown, fields: unknown) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      // mysql2 takes a string or options at run time; its overloads just cannot take the union.
      const options = sql as QueryOptions;
      const settle = (error: QueryError | null, result: unknown, fields: unknown, prepared: boolean): void => {
        if (!error) return resolve(shape(result, fields));
        if (prepared && isStalePrepared(error)) {
          // The server could not re-prepare it (1615), or refuses to prepare it at all (1295):
          // either way nothing ran, and neither error ends a MySQL transaction, so drop mysql2's
          // copy and run it as text. With the cache on, a statement must work wherever it works off.
          this.#connection.unprepare(typeof sql === 'string' ? sql : sql.sql);
          return void this.#connection.query(options, mysql2Values(params), (again, rows, columns) => settle(again, rows, columns, false));
        }
        this.#noteFailure(error);
        reject(error);
      };
      if (this.#prepares && preparable(params))
        this.#connection.execute(options, mysql2Values(params), (error, result, fields) => settle(error, result, fields, true));
      else this.#connection.query(options, mysql2Values(params), (error, result, fields) => settle(error, result, fields, false));
    });
  }

  /** A command that fails because the connection died is the moment some deaths are noticed. */
  #noteFailure(error: unknown): void {
    if (classifyMysqlError(error) === 'connection') this.#broken.fire(error);
  }

  inTransaction(): boolean {
    return this.#status.inTransaction;
  }

  ping(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#connection.ping((error: QueryError | null | undefined) => {
        // mysql2 passes `undefined`, not `null`, on success here.
        if (!error) return resolve();
        this.#noteFailure(error);
        reject(error);
      });
    });
  }

  isBroken(): boolean {
    return this.#broken.broken;
  }

  onBroken(callback: (error: Error) => void): void {
    this.#broken.subscribe(callback);
  }

  async close(): Promise<void> {
    this.#broken.closing();
    if (this.#broken.broken) return this.destroy();
    await closeGracefully(
      () => quit(this.#connection),
      () => this.destroy(),
    );
  }

  destroy(): void {
    this.#broken.closing();
    destroySocket(this.#connection);
  }
}

/**
 * mysql2's own `destroy()` only half-closes the socket (`stream.end()`) and marks itself closing,
 * so a running command stays pending until the server finishes it. Destroying the socket closes
 * it now, and mysql2's 'close' handler fails pending commands with PROTOCOL_CONNECTION_LOST.
 */
function destroySocket(connection: Connection): void {
  try {
    const stream = (connection as unknown as { stream?: { destroy?: () => void } }).stream;
    if (typeof stream?.destroy === 'function') stream.destroy();
    else connection.destroy();
  } catch {
    // Already closed: nothing left to free.
  }
}

/** A connection that failed to open: a late 'error' from its socket must not crash the process. */
function discard(connection: Connection): void {
  connection.on('error', () => {});
  destroySocket(connection);
}

function mysql2Options(settings: ConnectionSettings): ConnectionOptions {
  return {
    ...definedOnly({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
    }),
    connectTimeout: settings.connectTimeout,
    enableKeepAlive: settings.keepAliveDelay > 0,
    keepAliveInitialDelay: settings.keepAliveDelay,
    maxPreparedStatements: settings.statementCache > 0 ? settings.statementCache : MAX_PREPARED_STATEMENTS,
    ...mysql2Params(settings.params),
    ...definedOnly(withoutMysqlTlsKeys(settings.driverOptions)),
  };
}

/**
 * URL parameters, typed as mysql2 expects them (checked by createDatabases). mysql2 wants
 * `ssl` as an object or an SSL profile name, never a boolean; `ssl-mode` and its kin are
 * mapped by `connectMysql`.
 */
function mysql2Params(params: Readonly<Record<string, string>>): Record<string, unknown> {
  const { ssl, ...rest } = withoutMysqlTlsKeys(typedParams(MYSQL2_URL_RULES, params));
  if (ssl === undefined || ssl === 'false') return rest;
  return { ...rest, ssl: ssl === 'true' ? {} : ssl };
}

/** mysql2 never mutates the values; its typings just do not accept a readonly array. */
/**
 * Only statements whose parameters the binary protocol sends as `query()` would: an array or
 * object is expanded by `query()` (`IN (?)`, `SET ?`) and must stay text; so must undefined.
 */
function preparable(params: readonly unknown[] | undefined): boolean {
  if (params === undefined || params.length === 0) return false;
  return params.every(
    (value) =>
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'bigint' ||
      typeof value === 'boolean' ||
      value instanceof Date ||
      Buffer.isBuffer(value),
  );
}

/** ER_NEED_REPREPARE (1615) and ER_UNSUPPORTED_PS (1295). */
function isStalePrepared(error: QueryError): boolean {
  return error.errno === 1615 || error.errno === 1295;
}

function mysql2Values(params: readonly unknown[] | undefined): Array<NonNullable<unknown> | null> {
  return (params ?? []) as Array<NonNullable<unknown> | null>;
}

function handshake(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      connection.off('connect', onConnect);
      reject(error);
    };
    const onConnect = (): void => {
      connection.off('error', onError);
      resolve();
    };
    connection.once('connect', onConnect);
    connection.once('error', onError);
  });
}

/**
 * Sends COM_QUIT and resolves when the server has closed the socket (mysql2's own `end()`
 * calls back as soon as the quit is queued), so the session is gone on the server too.
 */
function quit(connection: Connection): Promise<void> {
  const socket = (connection as unknown as { stream?: { destroyed?: boolean; once(event: 'close', listener: () => void): unknown } })
    .stream;
  return new Promise((resolve, reject) => {
    if (socket === undefined || socket.destroyed === true) return resolve();
    socket.once('close', () => resolve());
    connection.end((error: QueryError | null) => {
      if (error) reject(error);
    });
  });
}

function connectionLost(): Error {
  return Object.assign(new Error('the MySQL server closed the connection'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
}
