/**
 * leakproof hands values on as its driver does. One row of every common column type (NULL, a
 * BIGINT past 2^53, DECIMAL, dates, JSON, bytes, …) is read through the driver package on a
 * connection of its own, with its defaults, and through leakproof's `db.query`, its array rows
 * and `db.stream`, with the statement cache off and on: every read must equal the driver's. A user
 * moving code from a bare pool must not find a number turned into a string, a Date into text or
 * a BigInt into a number.
 *
 * One difference is by design and named where it is compared: mysql2's `execute()` (the
 * statement cache, when set) reads the binary protocol, where a FLOAT column is a float32.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { createDatabases, type AliasOptions, type Databases } from '../src/index.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import type { EngineName } from './support/dialect.js';
import { withMariadb, withMysql2, withPg } from './support/own-connections.js';
import { runStatements } from './support/run-statements.js';

const TABLE = `value_types_${process.pid}`;

interface Columns {
  readonly ddl: string;
  readonly insert: string;
}

/** The table's columns per engine and the one row, NULL in `missing`, read back by `id = 1`. */
const COLUMNS: Readonly<Record<EngineName, Columns>> = {
  mariadb: {
    ddl: `id INT PRIMARY KEY, label VARCHAR(20), amount DECIMAL(10,2), big BIGINT, small TINYINT, flag BOOLEAN,
      ratio DOUBLE, f FLOAT, created DATETIME(3), stamp TIMESTAMP(3) NULL, day DATE, t TIME, y YEAR, data JSON,
      bytes VARBINARY(8), choice ENUM('a','b'), bits BIT(8), missing VARCHAR(5)`,
    insert: `(1, 'a', 12.34, 9007199254740993, -5, TRUE, 1.5, 1.1, '2026-01-02 03:04:05.678', '2026-01-02 03:04:05.678',
      '2026-01-02', '03:04:05', 2026, '{"k":[1,2]}', x'00ff', 'b', b'101', NULL)`,
  },
  postgres: {
    ddl: `id INT PRIMARY KEY, label TEXT, amount NUMERIC(10,2), big BIGINT, small SMALLINT, flag BOOLEAN,
      ratio DOUBLE PRECISION, f REAL, created TIMESTAMP(3), stamp TIMESTAMPTZ(3), day DATE, t TIME, data JSONB,
      bytes BYTEA, ints INT[], uid UUID, span INTERVAL, missing TEXT`,
    insert: `(1, 'a', 12.34, 9007199254740993, -5, TRUE, 1.5, 1.1, '2026-01-02 03:04:05.678', '2026-01-02 03:04:05.678+02',
      '2026-01-02', '03:04:05', '{"k":[1,2]}', '\\x00ff', '{1,2,3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 2 hours', NULL)`,
  },
  sqlite: {
    ddl: 'id INTEGER PRIMARY KEY, label TEXT, amount REAL, big INTEGER, flag INTEGER, bytes BLOB, missing TEXT',
    insert: `(1, 'a', 12.34, 9007199254740993, 1, x'00ff', NULL)`,
  },
};

/** Parameterised, so that a statement cache prepares it (mysql2 sends only such through execute()). */
const SELECT: Readonly<Record<EngineName, string>> = {
  mariadb: `SELECT * FROM ${TABLE} WHERE id = ?`,
  postgres: `SELECT * FROM ${TABLE} WHERE id = $1`,
  sqlite: `SELECT * FROM ${TABLE} WHERE id = ?`,
};

/** The row as the driver package reads it, on a connection of its own with its defaults. */
async function ownRead(
  engine: EngineContext,
  client: 'mysql2' | 'mariadb' | undefined,
  dateStrings: boolean,
): Promise<Record<string, unknown>> {
  type Row = Record<string, unknown>;
  if (client === 'mysql2') {
    return withMysql2(engine.url, { dateStrings }, async (c) => ((await c.query(SELECT.mariadb, [1]))[0] as Row[])[0]!);
  }
  if (client === 'mariadb') {
    // The connector's rows carry its column metadata (`meta`), which leakproof's do not.
    return withMariadb(engine.url, { dateStrings }, async (c) => ({ ...(await c.query<Row[]>(SELECT.mariadb, [1]))[0]! }));
  }
  if (engine.name === 'postgres') {
    const types = dateStrings ? { types: { getTypeParser: textDateParser } } : {};
    return withPg(engine.url, async (c) => (await c.query<Row>({ text: SELECT.postgres, values: [1], ...types })).rows[0]!);
  }
  const file = new BetterSqlite3(engine.url.replace(/^sqlite:/, ''), { readonly: true });
  try {
    return file.prepare(SELECT.sqlite).get(1) as Record<string, unknown>;
  } finally {
    file.close();
  }
}

/**
 * pg's parsers with the dates and times left as text: written out here, not taken from
 * leakproof, so the test holds leakproof to an oracle of its own (the set drizzle-orm's
 * node-postgres session reads as text: timestamptz, timestamp, date, interval, their arrays, numeric[]).
 */
function textDateParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  const asText = [1184, 1114, 1082, 1186, 1185, 1115, 1182, 1187, 1231];
  return asText.includes(oid) ? (value: string) => value : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown);
}

/** The same row through leakproof: object rows, array rows (zipped with their fields) and a stream. */
async function leakproofReads(dbs: Databases, select: string, dateStrings: boolean): Promise<Record<string, Record<string, unknown>>> {
  const db = dbs.get();
  return dbs.run(async () => {
    const object = (await db.query(select, [1], { dateStrings }))[0]!;
    const arrays = await db.query(select, [1], { rowMode: 'array', dateStrings });
    const zipped = Object.fromEntries(arrays.fields.map((field, i) => [field.name, arrays[0]![i]]));
    let streamed: Record<string, unknown> | undefined;
    for await (const row of db.stream(select, [1], { dateStrings })) streamed = row;
    return { 'db.query': object, "db.query rowMode 'array'": zipped, 'db.stream': streamed! };
  });
}

/** A float32 read as a double (1.1 → 1.100000023841858) is the binary protocol's FLOAT; the rest must be equal. */
function asBinaryProtocolReads(expected: Record<string, unknown>): Record<string, unknown> {
  return { ...expected, f: Math.fround(expected['f'] as number) };
}

interface Reader {
  readonly name: string;
  readonly client: 'mysql2' | 'mariadb' | undefined;
  readonly options: Partial<AliasOptions>;
  /** Whether a FLOAT comes back as a float32 (mysql2's binary protocol). */
  readonly float32: boolean;
}

/** Every reader twice: with the drivers' own date parsing, and with `dateStrings` (the driver's same option against leakproof's per-call one). */
function withDateStrings(readers: Reader[]): (Reader & { dateStrings: boolean })[] {
  return readers.flatMap((reader) => [
    { ...reader, dateStrings: false },
    { ...reader, name: `${reader.name}, dateStrings`, dateStrings: true },
  ]);
}

function readers(engine: EngineName): Reader[] {
  if (engine === 'mariadb') {
    return [
      { name: 'mysql2', client: 'mysql2', options: { client: 'mysql2' }, float32: false },
      {
        name: 'mysql2, statementCache 100 (execute())',
        client: 'mysql2',
        options: { client: 'mysql2', statementCache: 100 },
        float32: true,
      },
      { name: 'mariadb', client: 'mariadb', options: { client: 'mariadb' }, float32: false },
    ];
  }
  if (engine === 'postgres') {
    return [
      { name: 'pg, statementCache on (the default: named statements)', client: undefined, options: {}, float32: false },
      { name: 'pg, statementCache 0', client: undefined, options: { statementCache: 0 }, float32: false },
    ];
  }
  return [{ name: 'better-sqlite3', client: undefined, options: {}, float32: false }];
}

forEachEngine('values as the driver hands them on', ['mariadb', 'postgres', 'sqlite'], (engine, target) => {
  const opened: Databases[] = [];

  const admin = (statements: readonly string[]): Promise<void> => runStatements(engine().url, statements);

  before(async () => {
    const { ddl, insert } = COLUMNS[engine().name];
    await admin([`DROP TABLE IF EXISTS ${TABLE}`, `CREATE TABLE ${TABLE} (${ddl})`, `INSERT INTO ${TABLE} VALUES ${insert}`]);
  });
  after(async () => {
    for (const dbs of opened) await dbs.close();
    await admin([`DROP TABLE IF EXISTS ${TABLE}`]);
  });

  for (const reader of withDateStrings(readers(target === 'postgres-pgbouncer' ? 'postgres' : target))) {
    it(`${reader.name}: equal to the driver's own read, by every leakproof read`, async () => {
      const own = await ownRead(engine(), reader.client, reader.dateStrings);
      const expected = reader.float32 ? asBinaryProtocolReads(own) : own;
      const dbs = createDatabases({ default: { url: engine().url, ...reader.options } });
      opened.push(dbs);
      // Twice: a cached statement answers the second read.
      for (const round of [1, 2]) {
        for (const [how, row] of Object.entries(await leakproofReads(dbs, SELECT[engine().name], reader.dateStrings))) {
          // db.stream reads as text even with the cache on: mysql2 streams only through query().
          assert.deepEqual(row, how === 'db.stream' ? own : expected, `${how}, read ${round}`);
        }
      }
    });
  }
});
