/** The few SQL differences the shared tests need, per engine under test. */
export type EngineName = 'mariadb' | 'postgres' | 'sqlite';

export interface Dialect {
  readonly engine: EngineName;
  /** A statement that runs on the server for `seconds`. */
  sleep(seconds: number): string;
  /** The n-th (1-based) placeholder. */
  param(n: number): string;
  /** DDL for a scratch table `name` with an auto id and a text column `label`. */
  createTable(name: string): string;
  /** Whether the session is in a transaction, asked of the server itself. */
  readonly inTransactionSql: string;
  /** The session's server id, asked of the server itself. */
  readonly serverIdSql: string;
}

export const DIALECTS: Readonly<Record<EngineName, Dialect>> = {
  mariadb: {
    engine: 'mariadb',
    sleep: (s) => `SELECT SLEEP(${s}) AS slept`,
    param: () => '?',
    createTable: (name) => `CREATE TABLE ${name} (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(100) NOT NULL) ENGINE=InnoDB`,
    inTransactionSql: 'SELECT @@in_transaction AS tx',
    serverIdSql: 'SELECT CONNECTION_ID() AS id',
  },
  postgres: {
    engine: 'postgres',
    sleep: (s) => `SELECT pg_sleep(${s}) AS slept`,
    param: (n) => `$${n}`,
    createTable: (name) => `CREATE TABLE ${name} (id SERIAL PRIMARY KEY, label VARCHAR(100) NOT NULL)`,
    // now() is frozen inside a transaction, statement_timestamp() is not.
    inTransactionSql: 'SELECT (now() <> statement_timestamp())::int AS tx',
    serverIdSql: 'SELECT pg_backend_pid() AS id',
  },
  sqlite: {
    engine: 'sqlite',
    sleep: () => 'SELECT 1 AS slept',
    param: () => '?',
    createTable: (name) => `CREATE TABLE ${name} (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL)`,
    inTransactionSql: 'SELECT 0 AS tx',
    serverIdSql: 'SELECT 0 AS id',
  },
};
