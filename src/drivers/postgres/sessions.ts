/**
 * PostgreSQL: "the app's sessions" from `pg_stat_activity`, one definition for the probe's
 * sampler, `doctor` and the test harness: client backends only (no autovacuum, walsender or
 * background workers), the reader's own excluded. A role without `pg_read_all_stats` sees
 * other roles' sessions with a NULL state: they are listed as `hidden`.
 *
 * @module
 */
import {
  columnText,
  epochMs,
  statementShape,
  type QueryRows,
  type SessionFilter,
  type SessionReading,
  type SessionRow,
  type SessionState,
} from '../server-session.js';

/** The WHERE clause (over alias `p`) that selects the app's sessions; `$n` placeholders from `$first`. */
export function postgresSessionsWhere(filter: SessionFilter): { sql: string; params: unknown[] } {
  const where = ["p.backend_type = 'client backend'", 'p.pid <> pg_backend_pid()'];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, value: unknown): void => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.user !== undefined) add((n) => `p.usename = ${n}`, filter.user);
  if (filter.notUsers !== undefined && filter.notUsers.length > 0)
    add((n) => `(p.usename IS NULL OR p.usename <> ALL(${n}::text[]))`, [...filter.notUsers]);
  if (filter.database !== undefined) add((n) => `p.datname = ${n}`, filter.database);
  if (filter.host !== undefined) add((n) => `(host(p.client_addr) = ${n} OR p.client_hostname = ${n})`, filter.host);
  return { sql: where.join(' AND '), params };
}

/** The statement that lists the app's sessions. */
export function postgresSessionsQuery(filter: SessionFilter): { sql: string; params: unknown[] } {
  const where = postgresSessionsWhere(filter);
  const epoch = (column: string): string => `extract(epoch FROM ${column}) * 1000`;
  // Only the first 40 characters of the query leave the server, and only their first keyword is kept.
  const sql = `SELECT p.pid, p.usename, host(p.client_addr) AS addr, p.client_port AS port, p.datname, p.state, p.wait_event,
      left(p.query, 40) AS query, ${epoch('p.backend_start')} AS backend_start, ${epoch('p.state_change')} AS state_change,
      ${epoch('p.xact_start')} AS xact_start, ${epoch('clock_timestamp()')} AS server_now
    FROM pg_stat_activity p WHERE ${where.sql}`;
  return { sql, params: where.params };
}

/**
 * Reads the app's sessions once.
 *
 * @example
 * const { sessions, serverNow } = await readPostgresSessions(query, { database: 'app' });
 */
export async function readPostgresSessions(query: QueryRows, filter: SessionFilter): Promise<SessionReading> {
  const { sql, params } = postgresSessionsQuery(filter);
  const rows = await query(sql, params);
  const serverNow = rows.length > 0 ? Number(rows[0]!['server_now']) : await postgresServerNow(query);
  return { sessions: rows.map((row) => postgresSessionRow(row, serverNow)), serverNow, transactionsVisible: true, idleResolutionMs: 1 };
}

async function postgresServerNow(query: QueryRows): Promise<number> {
  const [row] = await query('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS server_now', []);
  return Number(row?.['server_now']);
}

/** One pg_stat_activity row (as `postgresSessionsQuery` selects it) as a `SessionRow`. */
export function postgresSessionRow(row: Record<string, unknown>, serverNow: number): SessionRow {
  const raw = row['state'] === null || row['state'] === undefined ? '' : columnText(row['state']);
  const state = postgresState(raw);
  const openedAt = epochMs(row['backend_start']);
  const stateChange = epochMs(row['state_change']);
  const idle = state === 'idle' || state === 'idle in transaction';
  const lastActiveAt = idle ? (stateChange ?? serverNow) : state === 'hidden' ? (stateChange ?? openedAt ?? serverNow) : serverNow;
  const pid = Number(row['pid']);
  return {
    id: pid,
    key: `${pid}@${openedAt ?? 0}`,
    user: columnText(row['usename']),
    host: postgresHost(row),
    database: row['datname'] === null || row['datname'] === undefined ? null : columnText(row['datname']),
    state,
    rawState: raw || 'hidden',
    waitingFor: columnText(row['wait_event']) || null,
    statement: state === 'active' ? statementShape(row['query']) : null,
    inTransaction: state === 'hidden' ? undefined : row['xact_start'] !== null && row['xact_start'] !== undefined,
    idleMs: idle ? Math.max(0, Math.round(serverNow - lastActiveAt)) : undefined,
    lastActiveAt,
    openedAt,
    transactionStartedAt: epochMs(row['xact_start']),
  };
}

function postgresState(raw: string): SessionState {
  if (raw === '') return 'hidden';
  if (raw === 'active' || raw === 'fastpath function call') return 'active';
  if (raw === 'idle') return 'idle';
  if (raw.startsWith('idle in transaction')) return 'idle in transaction';
  return 'other';
}

/** `address:port`; a NULL address with port -1 is a Unix-socket client (`local`). */
function postgresHost(row: Record<string, unknown>): string {
  const addr = row['addr'];
  if (addr === null || addr === undefined) return 'local';
  const port = Number(row['port']);
  const text = columnText(addr);
  return Number.isFinite(port) && port > 0 ? `${text.includes(':') ? `[${text}]` : text}:${port}` : text;
}
