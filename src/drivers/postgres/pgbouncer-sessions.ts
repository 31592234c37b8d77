/**
 * PgBouncer: "the app's sessions" are its clients in the admin console's `SHOW CLIENTS`. Behind
 * PgBouncer an app's connection ends there, so a leaked connection is a client that stays,
 * whatever PgBouncer does with the server sessions behind it. Each client is named by its
 * address and port (`addr:port`, the port as its id); a client linked to a server session, or
 * `waiting` for one, is at work (`active`); an unlinked one is `idle`. `connect_time` is when it
 * connected, `request_time` its last request. The console takes simple queries only, so the
 * filter is applied here, not in SQL, and its own clients (ours among them) are left out.
 *
 * @module
 */
import { PGBOUNCER_CONSOLE } from './pgbouncer-console.js';
import { columnText, type QueryRows, type SessionFilter, type SessionReading, type SessionRow } from '../server-session.js';

/** True for a client of a pooled database that `filter` selects. */
export function isAppClient(row: Record<string, unknown>, filter: SessionFilter): boolean {
  const database = columnText(row['database']);
  if (database === PGBOUNCER_CONSOLE) return false;
  if (filter.database !== undefined && database !== filter.database) return false;
  if (filter.user !== undefined && columnText(row['user']) !== filter.user) return false;
  if (filter.notUsers?.includes(columnText(row['user'])) === true) return false;
  return filter.host === undefined || columnText(row['addr']) === filter.host;
}

/**
 * Reads PgBouncer's clients once. PgBouncer's times are whole seconds of its own clock, which
 * the console does not report, so this machine's clock stands in for it.
 */
export async function readPgbouncerClients(query: QueryRows, filter: SessionFilter): Promise<SessionReading> {
  const rows = await query('SHOW CLIENTS', []);
  const serverNow = Date.now();
  const sessions = rows.filter((row) => isAppClient(row, filter)).map((row) => pgbouncerClientRow(row, serverNow));
  return { sessions, serverNow, transactionsVisible: false, idleResolutionMs: 1000 };
}

/** One `SHOW CLIENTS` row as a `SessionRow`. */
export function pgbouncerClientRow(row: Record<string, unknown>, serverNow: number): SessionRow {
  const raw = columnText(row['state']);
  const port = Number(row['port']);
  const addr = columnText(row['addr']) || 'local';
  const openedAt = consoleTime(row['connect_time']);
  // At work while linked to a server session (a statement, or a transaction left open) or
  // waiting for one; PgBouncer shows an unlinked client as `active` too, so the link decides.
  const linked = columnText(row['link']) !== '';
  const idle = !linked && raw !== 'waiting' && raw !== 'waiting_cancel_req';
  const lastActiveAt = idle ? Math.min(serverNow, consoleTime(row['request_time']) ?? openedAt ?? serverNow) : serverNow;
  return {
    id: Number.isFinite(port) ? port : 0,
    key: `${addr}:${port}@${openedAt ?? 0}`,
    user: columnText(row['user']),
    host: `${addr}:${port}`,
    database: columnText(row['database']) || null,
    state: idle ? 'idle' : 'active',
    rawState: raw,
    waitingFor: raw === 'waiting' ? 'server connection' : null,
    statement: null,
    // Unlinked, it is outside any transaction: PgBouncer takes the server session back at each transaction's end.
    inTransaction: idle ? false : undefined,
    idleMs: idle ? Math.max(0, serverNow - lastActiveAt) : undefined,
    lastActiveAt,
    openedAt,
    transactionStartedAt: undefined,
  };
}

/** `2026-12-03 07:15:26 UTC` (or without the zone, local time) as epoch ms. */
function consoleTime(value: unknown): number | undefined {
  const text = columnText(value).trim();
  if (text === '') return undefined;
  const ms = Date.parse(text.includes('T') ? text : text.replace(' ', 'T').replace(/ UTC$/, 'Z'));
  return Number.isFinite(ms) ? ms : undefined;
}
