import type { ErrorClass } from '../driver.js';
import { errorField, errorMessage, isConnectError, isSocketError } from '../error-class.js';

/** too_many_connections: `max_connections` or a role's / database's CONNECTION LIMIT. */
const TOO_MANY_CONNECTIONS = '53300';

/** SQLSTATEs after which the session is gone (or was never established). */
const CONNECTION_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, smart/fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovery)
  '57P05', // idle_session_timeout (PostgreSQL 14+)
  '25P03', // idle_in_transaction_session_timeout
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
  '3D000', // invalid_catalog_name: the database in the URL does not exist
]);

/**
 * pg's own messages for a dead client; they carry no `code`. "timeout expired" is its connect
 * timeout, "Connection terminated" covers "… unexpectedly" and "… due to connection timeout".
 */
const CONNECTION_MESSAGES =
  /Connection terminated|is not queryable|timeout expired|Connection ended unexpectedly|server closed the connection unexpectedly/i;

/** query_canceled: a CancelRequest hit the statement, or `statement_timeout` ran out. */
const QUERY_CANCELED = '57014';

/**
 * A prepared statement that must be prepared again under a new name: the table's columns
 * changed since (0A000 "cached plan must not change result type"), the session no longer has
 * it (26000, after `DEALLOCATE ALL` / `DISCARD ALL`, or behind a transaction pooler another
 * server session), or that session already has one of that name (42P05, behind a pooler).
 */
export function isStalePlan(error: unknown): boolean {
  const code = errorField(error, 'code');
  return code === '26000' || code === '42P05' || (code === '0A000' && /cached plan must not change result type/i.test(errorMessage(error)));
}

export function wasPostgresCancelled(error: unknown): boolean {
  return errorField(error, 'code') === QUERY_CANCELED;
}

/** PostgreSQL tells the two causes of 57014 apart only in the message. */
export function isPostgresStatementTimeout(error: unknown): boolean {
  return wasPostgresCancelled(error) && /statement timeout/i.test(errorMessage(error));
}

/**
 * Sorts a pg error. Server errors carry the SQLSTATE in `code` (class 08 is "connection
 * exception"); 57014 query_canceled (a CancelRequest or `statement_timeout`) is a `statement`
 * error: the session goes on.
 */
export function classifyPostgresError(error: unknown): ErrorClass {
  const code = errorField(error, 'code');
  if (code === TOO_MANY_CONNECTIONS) return 'refused';
  // The server ends a session only with FATAL (or PANIC); after an ERROR it goes on, whatever
  // the class: 08P01 "bind message supplies 1 parameters, but … requires 2" is an ERROR.
  if (errorField(error, 'severity') === 'ERROR' && !isConnectError(error)) return 'statement';
  if (typeof code === 'string' && (code.startsWith('08') || CONNECTION_SQLSTATES.has(code))) return 'connection';
  if (isConnectError(error) || isSocketError(error)) return 'connection';
  return CONNECTION_MESSAGES.test(errorMessage(error)) ? 'connection' : 'statement';
}
