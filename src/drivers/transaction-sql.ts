import type { TransactionSql } from './driver.js';

/**
 * Builds the transaction statements of one dialect. Savepoint names come from the core, but
 * they are still quoted so that no name can ever turn into SQL.
 */
function transactionSql(begin: string, quote: (name: string) => string): TransactionSql {
  return Object.freeze({
    begin,
    commit: 'COMMIT',
    rollback: 'ROLLBACK',
    savepoint: (name: string) => `SAVEPOINT ${quote(name)}`,
    releaseSavepoint: (name: string) => `RELEASE SAVEPOINT ${quote(name)}`,
    rollbackToSavepoint: (name: string) => `ROLLBACK TO SAVEPOINT ${quote(name)}`,
  });
}

const backticks = (name: string): string => `\`${name.replaceAll('`', '``')}\``;
const doubleQuotes = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** MySQL / MariaDB: `START TRANSACTION` is the standard form (`BEGIN` is ambiguous inside routines). */
export const mysqlTransactionSql = transactionSql('START TRANSACTION', backticks);
export const postgresTransactionSql = transactionSql('BEGIN', doubleQuotes);
/** SQLite: a deferred `BEGIN`; a writer takes the lock on its first write, waiting up to the busy timeout. */
/**
 * IMMEDIATE takes the write lock at BEGIN: a transaction that read first and then found another
 * writer could never get the lock without restarting (SQLITE_BUSY_SNAPSHOT), while a BEGIN
 * that meets a busy lock can simply be retried.
 */
export const sqliteTransactionSql = transactionSql('BEGIN IMMEDIATE', doubleQuotes);
