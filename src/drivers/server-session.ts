/**
 * One client session as the database server itself lists it, in a shape both engines fit, and
 * the filter that picks "the app's sessions". The per-engine definitions live in
 * `mysql/sessions.ts` and `postgres/sessions.ts`; the probe's sampler, `doctor` and the test
 * harness all read sessions through them, so they never disagree about the same server.
 *
 * @module
 */

/** Which sessions belong to the app (every client session when empty). */
export interface SessionFilter {
  readonly user?: string;
  readonly database?: string;
  /** The client address (or host name), without a port. */
  readonly host?: string;
  /** Users whose sessions never count (the harness's own admin and ballast users). */
  readonly notUsers?: readonly string[];
}

/**
 * What a session is doing. `killed`: MariaDB shows a session that was sent `KILL` as
 * `Killed` until it ends (or, after `KILL QUERY` on an idle one, until its next command);
 * it still holds a slot of `max_connections`, so it is listed, but its activity says nothing.
 * `hidden`: the reading user may not see its state (PostgreSQL without pg_read_all_stats).
 */
export type SessionState = 'active' | 'idle' | 'idle in transaction' | 'connecting' | 'killed' | 'hidden' | 'other';

/** A row every caller reads the same way; times are server-clock epoch ms. */
export interface SessionRow {
  /** MariaDB/MySQL thread id, PostgreSQL backend pid (what KILL / pg_terminate_backend take). */
  readonly id: number;
  /** Unique over the server's life: PostgreSQL reuses pids, so its key adds the backend start. */
  readonly key: string;
  readonly user: string;
  /** The client address with its port when the server gives one (`127.0.0.1:51234`), `local` for a socket. */
  readonly host: string;
  readonly database: string | null;
  readonly state: SessionState;
  /** The engine's own word for it: MySQL `COMMAND`, PostgreSQL `state`. */
  readonly rawState: string;
  /** MySQL `STATE` / PostgreSQL `wait_event`; null when nothing. */
  readonly waitingFor: string | null;
  /**
   * The statement's shape only: its first keyword (`SELECT`, `UPDATE`, …), never its text,
   * which may hold a user's data. Null when no statement runs.
   */
  readonly statement: string | null;
  /** In a transaction; undefined when the server would not say (MySQL without PROCESS). */
  readonly inTransaction: boolean | undefined;
  /** How long it has been idle (or killed), in ms; undefined when it is active. */
  readonly idleMs: number | undefined;
  /** When its last statement ended (idle) or now (active). */
  readonly lastActiveAt: number;
  /** When the connection was made, if the server records it (PostgreSQL `backend_start`). */
  readonly openedAt: number | undefined;
  /** When its transaction began (PostgreSQL `xact_start`). */
  readonly transactionStartedAt: number | undefined;
}

/** One reading of the sessions, with the server's clock at that moment. */
export interface SessionReading {
  readonly sessions: readonly SessionRow[];
  /** The server's clock (epoch ms) when it listed them. */
  readonly serverNow: number;
  /** Whether `inTransaction` could be read for every session. */
  readonly transactionsVisible: boolean;
  /** How fine the idle times are: 1 ms (MariaDB's TIME_MS, PostgreSQL), 1000 ms (MySQL's TIME). */
  readonly idleResolutionMs: number;
}

/** Runs one statement and returns its rows: every caller's driver fits this. */
export type QueryRows = (sql: string, params: readonly unknown[]) => Promise<readonly Record<string, unknown>[]>;

/** A column as text; NULL becomes ''. Buffers (MySQL binary collations) are decoded. */
export function columnText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return JSON.stringify(value) ?? '';
  }
}

/** The first keyword of a statement, uppercased, at most 20 letters: its shape, not its text. */
export function statementShape(value: unknown): string | null {
  const text = columnText(value).replace(/^\s*(\/\*.*?\*\/\s*)*/s, '');
  const word = /^[A-Za-z]{1,20}/.exec(text)?.[0];
  return word === undefined ? (text === '' ? null : '?') : word.toUpperCase();
}

/** A timestamp column (Date, or epoch ms as a number or text) as epoch ms; undefined for NULL. */
export function epochMs(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : Number(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Escapes LIKE's wildcards so a host matches literally. */
export function likeLiteral(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_');
}
