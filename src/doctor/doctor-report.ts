/**
 * What `runDoctor` takes and returns: a plain, JSON-ready snapshot of who holds connections on
 * a MariaDB/MySQL or PostgreSQL server, the server's limits, and warnings in plain words.
 *
 * @module
 */

export interface DoctorOptions {
  /** `mysql://`, `mariadb://`, `postgres://` or `postgresql://` URL; the password is never echoed. */
  readonly db: string;
  /** How many processes (or containers) of the app run against this server. Give with `budget`. */
  readonly processes?: number;
  /**
   * Each process's connection budget (leakproof's `maxConnections`, a pool's size). For a
   * PgBouncer URL (database `pgbouncer`, its admin console) it is checked against PgBouncer's
   * `max_client_conn`.
   */
  readonly budget?: number;
  /** Idle sessions older than this are reported as sleeping too long. Default 60000 ms. */
  readonly sleepingOlderThanMs?: number;
  /** How long connecting may take. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
}

export type DatabaseProduct = 'MariaDB' | 'MySQL' | 'PostgreSQL' | 'PgBouncer';

/** One client session as the server lists it (the doctor's own excluded). */
export interface ServerSession {
  readonly user: string;
  /** The client host without its port; `local` for a Unix socket, `hidden` when not visible. */
  readonly host: string;
  readonly database: string;
  /** `idle`, `active`, `idle in transaction`, …; `hidden` when the user may not see it. */
  readonly state: string;
  /** How long it has been idle, in ms; undefined when it is not idle. */
  readonly idleMs: number | undefined;
  /** Whether it is in a transaction; undefined when the server would not say. */
  readonly inTransaction: boolean | undefined;
}

export interface ServerSettings {
  readonly maxConnections: number;
  /**
   * Slots inside `max_connections` only superusers may take (PostgreSQL's
   * `superuser_reserved_connections` + `reserved_connections`); 0 on MySQL/MariaDB.
   */
  readonly reservedConnections: number;
  /** Connections allowed beyond `max_connections` for SUPER / CONNECTION ADMIN (MySQL/MariaDB: 1). */
  readonly extraSuperuserConnections: number;
  /** MySQL/MariaDB `wait_timeout`: the server closes a session idle this long. */
  readonly waitTimeoutMs?: number;
  /** PostgreSQL `idle_session_timeout`, PgBouncer `client_idle_timeout` (0 = off). */
  readonly idleSessionTimeoutMs?: number;
  /** PostgreSQL `idle_in_transaction_session_timeout` (0 = off). */
  readonly idleInTransactionSessionTimeoutMs?: number;
}

/** What an engine reader learns from the server. */
export interface ServerSnapshot {
  readonly product: DatabaseProduct;
  readonly version: string;
  readonly settings: ServerSettings;
  /** The sessions this user may list. */
  readonly sessions: readonly ServerSession[];
  /** Client connections on the whole server, whoever holds them. */
  readonly serverWide: number;
  /** MySQL/MariaDB `Max_used_connections`: the most held at once since the server started. */
  readonly maxUsed?: number;
  /** Whether transactions could be seen (MySQL/MariaDB need the PROCESS privilege for it). */
  readonly transactionsVisible: boolean;
  /** PgBouncer's pools (`SHOW POOLS`), one per database and user. */
  readonly pools?: readonly PoolerPool[];
}

/** One PgBouncer pool: its clients, and the server sessions it holds for them. */
export interface PoolerPool {
  readonly database: string;
  readonly user: string;
  /** `session`, `transaction` or `statement`. */
  readonly mode: string;
  /** Most server sessions it opens (`pool_size` / `default_pool_size`). */
  readonly poolSize: number;
  readonly clientsActive: number;
  /** Clients waiting for a server session now. */
  readonly clientsWaiting: number;
  readonly serversActive: number;
  /** Server sessions free for the next transaction. */
  readonly serversIdle: number;
  /** How long the oldest waiting client has waited. */
  readonly maxWaitMs: number;
}

/** Sessions sharing user, host, database and state. */
export interface SessionGroup {
  readonly user: string;
  readonly host: string;
  readonly database: string;
  readonly state: string;
  readonly count: number;
  /** The longest idle time in the group, in ms; undefined when none is idle. */
  readonly oldestIdleMs: number | undefined;
}

export type DoctorWarningCode =
  | 'idle-too-long'
  | 'idle-in-transaction'
  | 'budget-over-limit'
  | 'near-limit'
  | 'hidden-sessions'
  | 'transactions-not-visible'
  | 'clients-waiting';

export interface DoctorWarning {
  readonly code: DoctorWarningCode;
  /** `warning`: something to fix. `note`: the doctor could not see everything. */
  readonly level: 'warning' | 'note';
  /** Plain sentences, with the numbers and what to do. */
  readonly message: string;
}

export interface DoctorReport {
  /** The URL, password masked. */
  readonly db: string;
  readonly product: DatabaseProduct;
  readonly version: string;
  readonly settings: ServerSettings;
  readonly connections: {
    /** Sessions listed (visible to this user), the doctor's own excluded. */
    readonly listed: number;
    readonly groups: readonly SessionGroup[];
    readonly idle: number;
    /** Idle sessions older than `sleepingOlderThanMs`. */
    readonly idleOlderThanThreshold: number;
    readonly oldestIdleMs: number | undefined;
    /** Idle in a transaction; undefined when transactions cannot be seen. */
    readonly idleInTransaction: number | undefined;
    readonly sleepingOlderThanMs: number;
  };
  readonly headroom: {
    /** Client connections on the whole server, the doctor's own excluded. */
    readonly current: number;
    /** `max_connections` minus the superuser reserve: what applications can use. */
    readonly usable: number;
    /** `usable - current`. */
    readonly available: number;
    /** MySQL/MariaDB `Max_used_connections`, when known. */
    readonly maxUsed: number | undefined;
  };
  /** Present when `processes` and `budget` were given. */
  readonly budget?: {
    readonly processes: number;
    readonly perProcess: number;
    readonly total: number;
    /** Whether `total` fits in `headroom.usable`. */
    readonly fits: boolean;
  };
  /** PgBouncer's pools, when the URL is its admin console. */
  readonly pools?: readonly PoolerPool[];
  readonly warnings: readonly DoctorWarning[];
}
