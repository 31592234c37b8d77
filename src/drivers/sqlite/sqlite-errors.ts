import type { ErrorClass } from '../driver.js';
import { errorField, errorMessage, isConnectError } from '../error-class.js';

/**
 * SQLite result codes after which the database handle cannot be trusted: a corrupt or foreign
 * file, an I/O error (extended codes such as SQLITE_IOERR_SHORT_READ share the prefix), a file
 * that cannot be opened.
 */
const CONNECTION_CODE_PREFIXES = ['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_IOERR', 'SQLITE_CANTOPEN'];

/**
 * Sorts a better-sqlite3 error. SQLite never refuses a connection for capacity. SQLITE_BUSY
 * (the busy timeout ran out waiting for a lock) is a `statement` error: the handle is fine.
 */
export function classifySqliteError(error: unknown): ErrorClass {
  if (isConnectError(error)) return 'connection';
  const code = errorField(error, 'code');
  if (typeof code === 'string' && CONNECTION_CODE_PREFIXES.some((prefix) => code.startsWith(prefix))) return 'connection';
  // better-sqlite3 throws a TypeError with this message for any call on a closed handle.
  return /database connection is not open/i.test(errorMessage(error)) ? 'connection' : 'statement';
}
