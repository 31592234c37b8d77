/**
 * The narrow interface between leakproof's pool and a database driver.
 *
 * leakproof owns the pool and the request lifecycle; a driver owns only the wire protocol.
 * Each driver (`mysql/`, `postgres/`, `sqlite/`) wraps one npm package behind these two
 * interfaces and holds no pooling or lifecycle rules of its own.
 *
 * @module
 */

/** The database family a URL scheme selects. */
export type Engine = 'mysql' | 'postgres' | 'sqlite';

/** What `execute` returns. */
export interface ExecuteResult {
  /** Rows changed by the statement. */
  readonly rowsAffected: number;
  /**
   * The generated id of an inserted row: MySQL/MariaDB `insertId`, SQLite `lastInsertRowid`.
   * PostgreSQL has none (use `RETURNING id` with `query`), so it is `undefined` there.
   */
  readonly insertId: number | bigint | undefined;
  /**
   * MySQL/MariaDB through mysql2: the rows whose values the statement changed, where
   * `rowsAffected` counts the rows it matched (an UPDATE setting a value a row already has
   * matches it without changing it). Absent on the other drivers, whose servers or connector
   * do not report it.
   */
  readonly rowsChanged?: number;
}

/** One column of a result, in order, as `rowMode: 'array'` reports it (names may repeat). */
export interface FieldInfo {
  readonly name: string;
}

/** How rows come back: objects keyed by column name (the default), or arrays in column order. */
export type RowMode = 'object' | 'array';

/** A result read with `rowMode: 'array'`: each row an array in column order, and the columns. */
export interface ArrayResult {
  readonly rows: unknown[][];
  readonly fields: readonly FieldInfo[];
}

/** A row as a driver stream yields it: an object, or an array with `rowMode: 'array'`. */
export type DriverRow = Record<string, unknown> | unknown[];

/** Connection settings, parsed from the URL and the alias options. The password is never logged. */
export interface ConnectionSettings {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  /** SQLite: the file path, or `:memory:`. */
  readonly filename: string | undefined;
  /** Query-string parameters of the URL, passed to the driver as they are. */
  readonly params: Readonly<Record<string, string>>;
  /** Server-side statement timeout in ms (0 = none), set once per connection. */
  readonly statementTimeout: number;
  /** Parameterised statements each connection keeps prepared on the server (0 = none). */
  readonly statementCache: number;
  /** Options passed through to the driver's own connect call. */
  readonly driverOptions: Readonly<Record<string, unknown>>;
  /** Connect timeout in ms. */
  readonly connectTimeout: number;
  /** TCP keep-alive: idle ms before the first probe; 0 leaves keep-alive off. */
  readonly keepAliveDelay: number;
}

/** One physical connection, as the pool sees it. */
export interface DriverConnection {
  /** The server's own id for this session: MySQL thread id, PostgreSQL backend pid, SQLite a counter. */
  readonly serverId: number;
  /** Runs a statement and returns its rows (an empty array for statements without rows). */
  query(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<Record<string, unknown>[]>;
  /**
   * Runs a statement and returns its rows as arrays in column order, with the columns: what a
   * query builder reading joined rows needs, since two columns of the same name both survive.
   */
  queryArrays(sql: string, params?: readonly unknown[], read?: ReadOptions): Promise<ArrayResult>;
  /** Runs a statement and returns the affected-row count and generated id. */
  execute(sql: string, params?: readonly unknown[]): Promise<ExecuteResult>;
  /**
   * Starts a statement whose rows are read a batch at a time with the driver's own row
   * streaming (MySQL: a paused socket; PostgreSQL: a cursor; SQLite: a stepping statement),
   * so that at most about `batchSize` rows are held in memory however large the result.
   * The connection is busy until the stream has ended or was closed.
   */
  stream(sql: string, params: readonly unknown[] | undefined, options: DriverStreamOptions): Promise<DriverRowStream>;
  /**
   * Whether the session is inside a transaction, read from the protocol's own status
   * (MySQL server status flag, PostgreSQL ReadyForQuery status, SQLite `inTransaction`),
   * so release needs no extra round trip to find out.
   */
  inTransaction(): boolean;
  /** A cheap liveness round trip. Rejects if the connection is unusable. */
  ping(): Promise<void>;
  /** Whether the driver has seen a fatal error (socket gone, protocol error); then it is discarded. */
  isBroken(): boolean;
  /**
   * Graceful close: sends the protocol's quit and resolves once the server has closed its end
   * of the socket, which it does only when the session is gone, so a pool that waits for this
   * never has a replacement session open beside the old one. Destroys the socket instead if
   * that stalls (SIDE_CHANNEL_TIMEOUT_MS). Never rejects.
   */
  close(): Promise<void>;
  /** Immediate close of the socket. Never throws. */
  destroy(): void;
  /**
   * Registers a callback run once if the connection dies on its own while idle or in use
   * (server kill, restart, network); the pool then discards it.
   */
  onBroken(callback: (error: Error) => void): void;
}

/** How one statement's values are read, where the caller asks for other than the driver's defaults. */
export interface ReadOptions {
  /**
   * Dates and times as the server's text: MySQL DATETIME, TIMESTAMP and DATE; PostgreSQL
   * timestamp, timestamptz, date and interval (and their arrays). SQLite has no date type.
   */
  readonly dateStrings?: boolean;
}

export interface DriverStreamOptions extends ReadOptions {
  /** Rows read per batch (per round trip where the protocol has one). */
  readonly batchSize: number;
  /** Rows as objects (default) or as arrays in column order. */
  readonly rowMode?: RowMode;
}

/** One statement's rows, read batch by batch. Used by one caller at a time. */
export interface DriverRowStream {
  /** The next rows (at least one), or `undefined` once the result has ended. Rejects with the driver's error. */
  read(): Promise<DriverRow[] | undefined>;
  /** The result's columns, once the driver has read them (at the latest with the first rows); undefined before. */
  readonly fields: readonly FieldInfo[] | undefined;
  /**
   * Whether `close()` is cheap now: the result has ended, or the protocol can abandon it
   * (PostgreSQL closes its cursor, SQLite resets its statement). MySQL cannot: its rest must
   * be read or the statement killed, so an aborted request discards such a connection instead.
   */
  readonly closesCleanly: boolean;
  /**
   * Ends the stream early and leaves the connection ready for the next statement. `cancel`
   * stops the statement on the server (resolving whether the cancel could be sent: on MySQL it
   * needs another connection of the pool); a driver that cannot abandon a long result (MySQL)
   * calls it, then reads what is still in flight. Waits for a `read()` in flight. Rejects if
   * the connection could not be brought back: discard it then.
   */
  close(cancel: () => Promise<boolean>): Promise<void>;
}

/** What a driver learns about the server when a pool first connects. */
export interface ServerLimits {
  /**
   * The server's own idle timeout for this session in ms (`wait_timeout`,
   * `idle_session_timeout`), or 0 when it has none. Idle connections are retired before it.
   */
  readonly idleTimeoutMs: number;
  /**
   * The most sessions the server lets this user have at once, all processes together: the
   * smallest of the server's `max_connections` (less what it keeps for superusers), the user's
   * own limit (`max_user_connections`, a role's `CONNECTION LIMIT`) and the database's; 0 when
   * it could not be read.
   */
  readonly sessionLimit: number;
  /** Which of those limits is the smallest, for messages: `max_connections`, `max_user_connections`, … */
  readonly sessionLimitName: string;
}

/** A driver for one engine, created once per alias. */
export interface Driver {
  readonly engine: Engine;
  /** The npm package that speaks the protocol, e.g. `mysql2`. */
  readonly packageName: string;
  /** Opens one connection. Rejects with the driver's error (classified by `classifyError`). */
  connect(): Promise<DriverConnection>;
  /** Reads the server's limits over an open connection (one round trip, done once per pool). */
  readServerLimits(connection: DriverConnection): Promise<ServerLimits>;
  /**
   * How a statement running on a connection is stopped from outside it. `request`: a protocol
   * message on a short-lived socket that is not a session (PostgreSQL CancelRequest), so it
   * costs no connection. `session`: a statement run on another session (MySQL `KILL QUERY`),
   * which the pool lends from its own budget. `none`: nothing can run concurrently (SQLite).
   */
  readonly cancelBy: 'request' | 'session' | 'none';
  /**
   * Cancels the statement running on `target`: with `cancelBy: 'session'` by running the
   * cancel on `via`, another connection of the same pool. Resolves when the cancel was
   * delivered; never rejects (best effort). The caller bounds it in time.
   */
  cancel(target: DriverConnection, via?: DriverConnection): Promise<void>;
  /**
   * Ends session `serverId` from `via`, another connection of the same pool, and resolves once
   * the server no longer lists it, true, or `deadline` (epoch ms) has passed, false (MySQL
   * `KILL CONNECTION`, PostgreSQL `pg_terminate_backend`).
   * A socket cut while its statement runs leaves the session on the server until that statement
   * ends (a cut MariaDB stream: until `net_write_timeout`); the pool keeps its slot until this
   * resolves. Rejects if `via` fails. SQLite has none.
   */
  endSession?(serverId: number, via: DriverConnection, deadline: number): Promise<boolean>;
  /** Whether `error` ended a statement because a cancel hit it (the server consumed the cancel). */
  wasCancelled(error: unknown): boolean;
  /** Whether `error` is the server's own statement timeout (`statementTimeout`). */
  isStatementTimeout(error: unknown): boolean;
  /** Sorts a driver error into what the pool must do with it. */
  classifyError(error: unknown): ErrorClass;
  /** SQL for transactions; savepoint names are generated by the core. */
  readonly sql: TransactionSql;
}

/**
 * `refused`: the server itself refused the connection for capacity (MySQL 1040, PostgreSQL 53300).
 * `connection`: the connection is unusable (socket closed, server gone, killed, auth failure during connect).
 * `statement`: an ordinary error of this statement; the connection is fine.
 */
export type ErrorClass = 'refused' | 'connection' | 'statement';

export interface TransactionSql {
  readonly begin: string;
  readonly commit: string;
  readonly rollback: string;
  savepoint(name: string): string;
  releaseSavepoint(name: string): string;
  rollbackToSavepoint(name: string): string;
}
