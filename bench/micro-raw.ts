/**
 * The raw side of the in-process part: each driver's own pool, used the way its README shows,
 * in a process where nothing enables AsyncLocalStorage. Imports nothing from leakproof.
 *
 * @module
 */
import Database from 'better-sqlite3';
import mariadb from 'mariadb';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ITEM_COUNT, POOL_SIZE, addressOptions } from './config.js';
import { PK_SELECT_SQLITE, randomIds, type OpenVariants, type WorkerSettings } from './micro-spec.js';

const noop = async (): Promise<void> => {};

export async function openVariants(settings: WorkerSettings): Promise<OpenVariants> {
  const mysqlAddress = addressOptions(settings.mysqlUrl);
  const mysql2Pool = mysql.createPool({ ...mysqlAddress, connectionLimit: POOL_SIZE });
  const mariadbPool = mariadb.createPool({ ...mysqlAddress, connectionLimit: POOL_SIZE });
  const pgPool = new pg.Pool({ ...addressOptions(settings.pgUrl), max: POOL_SIZE });
  const sqlite = new Database(settings.sqliteFile);
  sqlite.pragma('journal_mode = WAL');
  const cached = sqlite.prepare(PK_SELECT_SQLITE);
  const ids = randomIds(ITEM_COUNT);

  const ops = new Map<string, (i: number) => unknown>([
    ['scope/plain', noop],
    [
      'mysql2/raw',
      async () => {
        const connection = await mysql2Pool.getConnection();
        try {
          await connection.query('SELECT 1');
        } finally {
          connection.release();
        }
      },
    ],
    [
      'mariadb/raw',
      async () => {
        const connection = await mariadbPool.getConnection();
        try {
          await connection.query('SELECT 1');
        } finally {
          // As in the connector's README: release() is not awaited.
          void connection.release();
        }
      },
    ],
    [
      'pg/raw',
      async () => {
        const client = await pgPool.connect();
        try {
          await client.query('SELECT 1');
        } finally {
          client.release();
        }
      },
    ],
    // In an async fn, as a request handler would be: the await costs what leakproof's does.
    ['sqlite/raw-prepare', async (i: number) => sqlite.prepare(PK_SELECT_SQLITE).all(ids[i & 0xffff])],
    ['sqlite/raw-cached', async (i: number) => cached.all(ids[i & 0xffff])],
  ]);

  return {
    ops,
    close: async () => {
      sqlite.close();
      await Promise.all([mysql2Pool.end(), mariadbPool.end(), pgPool.end()]);
    },
  };
}
