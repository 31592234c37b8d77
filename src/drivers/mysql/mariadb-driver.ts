/**
 * The mariadb driver: one raw `mariadb` connector connection per `connect()` (never its pool).
 *
 * The connector keeps the server status flags of the last OK/EOF packet in `conn.info.status`
 * (public and typed), which gives `inTransaction` for free. It sets IN_TRANS itself after every
 * error packet, because a failed statement may have opened a transaction when autocommit is off;
 * the pool then pays one ROLLBACK after a failed statement, never a leaked transaction.
 *
 * @module
 */
import { connect as connectTcp, type Socket } from 'node:net';
import type { Connection, ConnectionConfig, QueryOptions } from 'mariadb';
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
import { MARIADB_URL_RULES } from './mariadb-options.js';
import { connectMysql, withoutMysqlTlsKeys } from './mysql-tls.js';
import { markConnectError } from '../error-class.js';
import { importPackage } from '../import-package.js';
import { closeGracefully } from '../time-bound.js';
import { classifyMysqlError } from './mysql-errors.js';
import { arrayResult, datesAsAsked, lastRowSet, toExecuteResult } from './mysql-results.js';
import { MysqlRowStream } from './mysql-row-stream.js';
import { statementTimeoutSql } from './mysql-session.js';
import { mysqlDriver } from './mysql-driver.js';
import { rejection } from '../rejection.js';

type Mariadb = typeof import('mariadb');

const SERVER_STATUS_IN_TRANS = 0x0001;

/** Loads the mariadb connector (DRIVER_MISSING if absent) and returns the driver for one alias. */
export async function createMariadbDriver(settings: ConnectionSettings): Promise<Driver> {
  const mariadb = await importPackage<Mariadb>('mariadb', 'mariadb');
  return mysqlDriver('mariadb', settings, (connectSettings) =>
    connectMysql(connectSettings, 'mariadb', (tlsSettings) => MariadbConnection.open(mariadb, tlsSettings)),
  );
}

class MariadbConnection implements DriverConnection {
  readonly serverId: number;
  readonly #connection: Connection;
  /** The TCP socket under the connector, when leakproof opened it (not a Unix socket). */
  readonly #socket: Socket | undefined;
  readonly #broken = new BrokenSignal();

  private constructor(connection: Connection, socket: Socket | undefined) {
    this.#connection = connection;
    this.#socket = socket;
    this.serverId = connection.threadId ?? 0;
    // The connector emits 'error' then 'end' as soon as the socket closes, idle or busy.
    connection.on('error', (error: Error) => this.#broken.fire(error));
    connection.on('end', () => this.#broken.fire(connectionLost()));
  }

  static async open(mariadb: Mariadb, settings: ConnectionSettings): Promise<MariadbConnection> {
    let raw: Connection | undefined;
    const socket: { opened?: Socket } = {};
    try {
      raw = await mariadb.createConnection(withOwnSocket(mariadbOptions(settings), socket));
      const connection = new MariadbConnection(raw, socket.opened);
      await connection.#applySession(settings);
      return connection;
    } catch (error) {
      raw?.destroy();
      throw markConnectError(error);
    }
  }

  async #applySession(settings: ConnectionSettings): Promise<void> {
    if (settings.statementTimeout <= 0) return;
    await this.execute(statementTimeoutSql(this.#connection.serverVersion(), settings.statementTimeout));
  }

  // Plain `then` chains, not async methods: this is the per-query path, where each extra
  // promise also runs AsyncLocalStorage's hook on Node 20.
  query(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<Record<string, unknown>[]> {
    return this.#send(read?.dateStrings === true ? { sql, dateStrings: true } : sql, params).then(lastRowSet, this.#failed);
  }

  /** The connector puts each row set's columns on a non-enumerable `meta` of its rows. */
  queryArrays(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<ArrayResult> {
    return this.#send(datesAsAsked({ sql, rowsAsArray: true }, read), params).then(
      (result) => arrayResult(result, undefined),
      this.#failed,
    );
  }

  execute(sql: string, params?: readonly unknown[]): Promise<ExecuteResult> {
    return this.#send(sql, params).then(toExecuteResult, this.#failed);
  }

  /** The connector's row stream pauses the socket once its buffer (16 rows) is full. */
  async stream(sql: string, params: readonly unknown[] | undefined, options: DriverStreamOptions): Promise<DriverRowStream> {
    const rows = this.#connection.queryStream(
      datesAsAsked({ sql, rowsAsArray: options.rowMode === 'array' }, options),
      params as unknown[] | undefined,
    );
    rows.on('error', (error: unknown) => this.#noteFailure(error));
    return new MysqlRowStream(rows, options.batchSize);
  }

  #send(sql: string | QueryOptions, params: readonly unknown[] | undefined): Promise<unknown> {
    try {
      return this.#connection.query(sql, params);
    } catch (error) {
      return rejection(error);
    }
  }

  readonly #failed = (error: unknown): never => {
    this.#noteFailure(error);
    throw error;
  };

  /** A command that fails because the connection died is the moment some deaths are noticed. */
  #noteFailure(error: unknown): void {
    if (classifyMysqlError(error) === 'connection') this.#broken.fire(error);
  }

  inTransaction(): boolean {
    return ((this.#connection.info?.status ?? 0) & SERVER_STATUS_IN_TRANS) !== 0;
  }

  async ping(): Promise<void> {
    try {
      await this.#connection.ping();
    } catch (error) {
      this.#noteFailure(error);
      throw error;
    }
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
      () => this.#connection.end(),
      () => this.destroy(),
    );
  }

  /**
   * Closes the socket at once. The socket is cut under the connector first: with a command
   * running, the connector's own destroy() would open a connection of its own, outside the
   * pool's budget, to send `KILL`; the pool ends such a session itself, within the budget.
   */
  destroy(): void {
    this.#broken.closing();
    if (this.#socket !== undefined) {
      // The connector hears the error and closes itself (its fatal-error path sends no KILL).
      this.#socket.destroy(new Error('the connection was closed by leakproof'));
      return;
    }
    try {
      this.#connection.destroy();
    } catch {
      // Already closed: nothing left to free.
    }
  }
}

function mariadbOptions(settings: ConnectionSettings): ConnectionConfig {
  return {
    ...definedOnly({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
    }),
    connectTimeout: settings.connectTimeout,
    keepAliveDelay: settings.keepAliveDelay,
    // Typed as the connector expects them (checked by createDatabases); ssl-mode and its kin are mapped by connectMysql.
    ...withoutMysqlTlsKeys(typedParams(MARIADB_URL_RULES, settings.params)),
    ...definedOnly(withoutMysqlTlsKeys(settings.driverOptions)),
  };
}

/**
 * Has the connector use a TCP socket leakproof opens (its `stream` option), so that destroy()
 * can cut it. A Unix socket, a `stream` of the user's own and TLS are left to the connector's
 * own destroy(). Under TLS the connector layers its TLS socket over this one and keeps this
 * one's error listener: cutting this one with an error runs its fatal path from that listener,
 * which destroys the TLS socket mid-emit (the error then reaches that socket unheard, and
 * Node 20 segfaulted after it in a standalone check); cut without an error, the TLS socket
 * only closes, which the connector does not hear.
 */
function withOwnSocket(options: ConnectionConfig, socket: { opened?: Socket }): ConnectionConfig {
  if (options.socketPath !== undefined || options.stream !== undefined || (options.ssl !== undefined && options.ssl !== false))
    return options;
  const stream = (): Socket => {
    socket.opened = connectTcp(options.port ?? 3306, options.host ?? 'localhost').setNoDelay(true);
    return socket.opened;
  };
  return { ...options, stream };
}

function connectionLost(): Error {
  return Object.assign(new Error('the MySQL server closed the connection'), { code: 'ER_SOCKET_UNEXPECTED_CLOSE', fatal: true });
}
