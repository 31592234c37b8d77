/**
 * The `bench_item` table the HTTP endpoint reads: 10,000 rows of (id INT PK, name, price_cents,
 * ~80-character description), the shape the baseline research measured. Created idempotently:
 * a table that already holds exactly ids 1..10,000 is left alone, anything else is refilled.
 * The raw drivers do the setup, so a leakproof bug cannot skew the data its rivals read.
 *
 * @module
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { addressOptions, ITEM_COUNT } from './config.js';

export const TABLE = 'bench_item';

type ItemRow = [id: number, name: string, priceCents: number, description: string];

/** Deterministic rows, the same on every engine, so response sizes match across variants. */
function itemRows(): ItemRow[] {
  const rows: ItemRow[] = [];
  for (let id = 1; id <= ITEM_COUNT; id++) {
    const description = `Item ${id}: a plain, sturdy thing kept in stock so that every row has some text.`.padEnd(80, '.').slice(0, 80);
    rows.push([id, `item ${id}`, (id * 7919) % 100_000, description]);
  }
  return rows;
}

/** True when the table holds exactly ids 1..ITEM_COUNT. */
function isComplete(count: unknown, min: unknown, max: unknown): boolean {
  return Number(count) === ITEM_COUNT && Number(min) === 1 && Number(max) === ITEM_COUNT;
}

const CHECK_SQL = `SELECT COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM ${TABLE}`;

export async function prepareMysql(url: string): Promise<'kept' | 'filled'> {
  const connection = await mysql.createConnection(addressOptions(url));
  try {
    await connection.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, price_cents INT NOT NULL, description VARCHAR(255) NOT NULL
    ) ENGINE=InnoDB`);
    const [found] = await connection.query<mysql.RowDataPacket[]>(CHECK_SQL);
    if (isComplete(found[0]?.['n'], found[0]?.['lo'], found[0]?.['hi'])) return 'kept';
    await connection.query(`DELETE FROM ${TABLE}`);
    const rows = itemRows();
    // mysql2 expands `VALUES ?` with an array of arrays into a multi-row insert.
    for (let i = 0; i < rows.length; i += 1000) {
      await connection.query(`INSERT INTO ${TABLE} (id, name, price_cents, description) VALUES ?`, [rows.slice(i, i + 1000)]);
    }
    return 'filled';
  } finally {
    await connection.end();
  }
}

export async function preparePostgres(url: string): Promise<'kept' | 'filled'> {
  const client = new pg.Client(addressOptions(url));
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, price_cents INT NOT NULL, description VARCHAR(255) NOT NULL
    )`);
    const found = await client.query<{ n: string; lo: number | null; hi: number | null }>(CHECK_SQL);
    if (isComplete(found.rows[0]?.n, found.rows[0]?.lo, found.rows[0]?.hi)) return 'kept';
    const rows = itemRows();
    // One statement for all rows: four parallel arrays unnested server-side.
    const column = (i: number): unknown[] => rows.map((row) => row[i]);
    await client.query('BEGIN');
    await client.query(`DELETE FROM ${TABLE}`);
    await client.query(
      `INSERT INTO ${TABLE} (id, name, price_cents, description) SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[])`,
      [column(0), column(1), column(2), column(3)],
    );
    await client.query('COMMIT');
    await client.query(`ANALYZE ${TABLE}`);
    return 'filled';
  } finally {
    await client.end();
  }
}

/** A SQLite file with the same table (the in-process suite's own temp file). */
export function prepareSqlite(filename: string): void {
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL, description TEXT NOT NULL
    )`);
    const insert = db.prepare(`INSERT OR REPLACE INTO ${TABLE} (id, name, price_cents, description) VALUES (?, ?, ?, ?)`);
    db.transaction((rows: ItemRow[]) => {
      for (const row of rows) insert.run(...row);
    })(itemRows());
  } finally {
    db.close();
  }
}
