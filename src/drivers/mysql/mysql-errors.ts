import type { ErrorClass } from '../driver.js';
import { errorField, isConnectError, isSocketError } from '../error-class.js';

/** ER_CON_COUNT_ERROR: the server's `max_connections` is reached. */
const ER_CON_COUNT_ERROR = 1040;
/** ER_USER_LIMIT_REACHED: `max_user_connections` at connect (the same word for `max_questions` later). */
const ER_USER_LIMIT_REACHED = 1226;
/** ER_TOO_MANY_USER_CONNECTIONS: the global `max_user_connections` at connect. */
const ER_TOO_MANY_USER_CONNECTIONS = 1203;

/** Server error numbers after which the session is gone or was never established. */
const CONNECTION_ERRNOS: ReadonlySet<number> = new Set([
  1043, // ER_HANDSHAKE_ERROR
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1053, // ER_SERVER_SHUTDOWN
  1129, // ER_HOST_IS_BLOCKED
  1130, // ER_HOST_NOT_PRIVILEGED
  1152, // ER_ABORTING_CONNECTION
  1153, // ER_NET_PACKET_TOO_LARGE (the server closes the connection)
  1158,
  1159,
  1160,
  1161, // ER_NET_READ_ERROR … ER_NET_WRITE_INTERRUPTED
  1184, // ER_NEW_ABORTING_CONNECTION
  1251, // ER_NOT_SUPPORTED_AUTH_MODE
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24+, wait_timeout)
]);

/**
 * Interrupted statements: `KILL QUERY` (1317), MariaDB `max_statement_time` (1969), MySQL
 * `max_execution_time` (3024). The mariadb connector flags every SQLSTATE 70100 error as `fatal`
 * (1927 "connection killed" shares that state), but after these three the session goes on.
 */
const INTERRUPTED_ERRNOS: ReadonlySet<number> = new Set([1317, 1969, 3024]);

/** mysql2's own codes for a dead connection (the mariadb connector uses `fatal` and 45xxx instead). */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
  'PROTOCOL_UNEXPECTED_PACKET',
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_CMD_CONNECTION_CLOSED',
  'ER_CONNECTION_TIMEOUT',
  'ER_SOCKET_TIMEOUT',
]);

/** ER_QUERY_INTERRUPTED: the statement was stopped by `KILL QUERY`. */
const ER_QUERY_INTERRUPTED = 1317;
/** MariaDB `max_statement_time` (1969) and MySQL `max_execution_time` (3024) ran out. */
const STATEMENT_TIMEOUT_ERRNOS: ReadonlySet<number> = new Set([1969, 3024]);

export function wasMysqlCancelled(error: unknown): boolean {
  return errorField(error, 'errno') === ER_QUERY_INTERRUPTED;
}

export function isMysqlStatementTimeout(error: unknown): boolean {
  const errno = errorField(error, 'errno');
  return typeof errno === 'number' && STATEMENT_TIMEOUT_ERRNOS.has(errno);
}

/**
 * Sorts a mysql2 or mariadb error. Both put the server's error number in `errno` and mark errors
 * that end the connection with `fatal: true`; socket errors keep Node's `code`.
 */
export function classifyMysqlError(error: unknown): ErrorClass {
  const errno = errorField(error, 'errno');
  if (errno === ER_CON_COUNT_ERROR) return 'refused';
  if ((errno === ER_USER_LIMIT_REACHED || errno === ER_TOO_MANY_USER_CONNECTIONS) && isConnectError(error)) return 'refused';
  if (typeof errno === 'number' && CONNECTION_ERRNOS.has(errno)) return 'connection';
  if (typeof errno === 'number' && INTERRUPTED_ERRNOS.has(errno) && !isConnectError(error)) return 'statement';
  if (errorField(error, 'fatal') === true || isConnectError(error) || isSocketError(error)) return 'connection';
  const code = errorField(error, 'code');
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'connection';
  const sqlState = errorField(error, 'sqlState');
  // SQLSTATE class 08 is "connection exception" (e.g. 08S01 communication link failure).
  return typeof sqlState === 'string' && sqlState.startsWith('08') ? 'connection' : 'statement';
}
