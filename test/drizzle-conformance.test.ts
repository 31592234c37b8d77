/**
 * leakproof/drizzle answers as drizzle-orm's own drivers do. Every case runs the same Drizzle
 * calls twice on the same tables, reset to the same rows (ids restarting) before each run: once
 * through drizzle-orm/mysql2, drizzle-orm/node-postgres or drizzle-orm/better-sqlite3 on a
 * connection of their own, once through leakproof/drizzle in a scope; the two answers must be
 * equal. A user moving an app over must not find a row, a type or a null changed.
 *
 * Raw answers (`execute(sql)`, a MySQL write's header, SQLite's `run`) differ by design: drizzle's
 * proxy sessions, which leakproof/drizzle extends, answer them in their own shape. Those cases
 * compare the part both have and say so (docs/query-builders.md lists the shapes).
 *
 * The three case lists read alike on purpose: each is type-checked against its own dialect's
 * tables, which no one generic list over the three query builders could be.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { asc, count, eq, gt, sql } from 'drizzle-orm';
import { drizzle as ownBetterSqlite3 } from 'drizzle-orm/better-sqlite3';
import { drizzle as ownMysql2 } from 'drizzle-orm/mysql2';
import { drizzle as ownNodePostgres } from 'drizzle-orm/node-postgres';
import type { MySqlRemoteDatabase } from 'drizzle-orm/mysql-proxy';
import type { PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import type { SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import mysql from 'mysql2/promise';
import { date, datetime, int, mysqlTable, timestamp } from 'drizzle-orm/mysql-core';
import { date as pgDate, integer, interval, pgTable, timestamp as pgTimestamp } from 'drizzle-orm/pg-core';
import { integer as sqliteInteger, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { createDatabases, type Databases } from '../src/index.js';
import { drizzle } from '../src/drizzle/drizzle.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import type { EngineName } from './support/dialect.js';
import { collect, mysqlClientOptions, rejectionOf } from './support/compare.js';
import { runStatements } from './support/run-statements.js';
import { drizzleDdl, dropDrizzleTables, mysqlTables, pgTables, refillStatements, sqliteTables } from './support/drizzle-tables.js';

// Literal names: Drizzle keys a join's rows by table name.
const prefix = 'drizzle_c';

/**
 * The process runs off UTC, at a fractional offset: a date or time parsed in the process's zone
 * instead of as Drizzle's columns parse it comes back a different value. Read when each Date is
 * made or parsed, so set before the first.
 */
process.env['TZ'] = 'Asia/Kolkata';

const AT = new Date('2026-01-02T03:04:05.678Z');
const DAY = new Date('2026-01-02T00:00:00Z');
const DATES = `${prefix}_dates`;

const mysqlDates = mysqlTable(DATES, {
  id: int('id').primaryKey(),
  at: datetime('at', { fsp: 3 }),
  day: date('day'),
  daySt: date('day_s', { mode: 'string' }),
  ts: timestamp('ts', { fsp: 3 }),
  atSt: datetime('at_s', { mode: 'string' }),
});
const pgDates = pgTable(DATES, {
  id: integer('id').primaryKey(),
  at: pgTimestamp('at', { precision: 3 }),
  atz: pgTimestamp('atz', { precision: 3, withTimezone: true }),
  atSt: pgTimestamp('at_s', { mode: 'string' }),
  day: pgDate('day', { mode: 'date' }),
  daySt: pgDate('day_s'),
  span: interval('span'),
});
const sqliteDates = sqliteTable(DATES, {
  id: sqliteInteger('id').primaryKey(),
  at: sqliteInteger('at', { mode: 'timestamp_ms' }),
  atSeconds: sqliteInteger('at_seconds', { mode: 'timestamp' }),
  day: text('day'),
});

/** The dates table's DDL, per engine. */
const DATES_DDL: Readonly<Record<EngineName, string>> = {
  mariadb: `CREATE TABLE ${DATES} (id INT PRIMARY KEY, at DATETIME(3), day DATE, day_s DATE, ts TIMESTAMP(3) NULL, at_s DATETIME)`,
  postgres: `CREATE TABLE ${DATES} (id INT PRIMARY KEY, at TIMESTAMP(3), atz TIMESTAMPTZ(3), at_s TIMESTAMP, day DATE, day_s DATE, span INTERVAL)`,
  sqlite: `CREATE TABLE ${DATES} (id INTEGER PRIMARY KEY, at INTEGER, at_seconds INTEGER, day TEXT)`,
};

/**
 * One case: what it runs through either Drizzle, and what of the answer is compared. Typed
 * against leakproof's Drizzle (drizzle's proxy types); drizzle-orm's own driver takes the same
 * calls.
 */
interface Case<O> {
  readonly name: string;
  readonly run: (orm: O) => Promise<unknown>;
}

/**
 * What a failed call threw, as code reading it sees it: its class and message, and its cause's
 * code, errno and SQLSTATE (what code matches on; the cause's own class and message are the
 * client's, and on MySQL leakproof has two).
 */
async function thrown(run: PromiseLike<unknown>): Promise<Record<string, unknown>> {
  const error = await rejectionOf(run);
  assert.ok(error instanceof Error, `it did not fail: ${String(error)}`);
  const cause = error.cause as Record<string, unknown> | undefined;
  const codes = (e: Record<string, unknown>): Record<string, unknown> => ({ code: e['code'], errno: e['errno'], sqlState: e['sqlState'] });
  return {
    class: error.constructor.name,
    ...(cause === undefined ? codes(error as unknown as Record<string, unknown>) : { message: error.message, cause: codes(cause) }),
  };
}

function mysqlCases() {
  const { items, tags, ...relations } = mysqlTables(prefix);
  const schema = { items, tags, ...relations };
  type Orm = MySqlRemoteDatabase<typeof schema>;
  const cases: Case<Orm>[] = [
    { name: 'select, ordered', run: (orm) => orm.select().from(items).orderBy(asc(items.id)) },
    { name: 'select matching nothing', run: (orm) => orm.select().from(items).where(eq(items.label, 'none')) },
    {
      name: 'left join, an absent side null',
      run: (orm) => orm.select().from(items).leftJoin(tags, eq(tags.itemId, items.id)).orderBy(asc(items.id), asc(tags.id)),
    },
    { name: 'aggregates: count() and a raw count(*)', run: (orm) => orm.select({ n: count(), raw: sql`count(*)` }).from(items) },
    { name: '$count', run: (orm) => orm.$count(items, gt(items.id, 1)) },
    { name: 'findMany with its tags', run: (orm) => orm.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) }) },
    { name: 'findFirst matching nothing', run: (orm) => orm.query.items.findFirst({ where: eq(items.label, 'none') }) },
    {
      name: '$returningId',
      run: (orm) =>
        orm
          .insert(items)
          .values([{ label: 'n1' }, { label: 'n2' }])
          .$returningId(),
    },
    {
      name: 'a prepared select, placeholders filled',
      run: (orm) =>
        orm
          .select()
          .from(items)
          .where(gt(items.id, sql.placeholder('id')))
          .prepare()
          .execute({ id: 1 }),
    },
    { name: 'iterator', run: (orm) => collect(orm.select().from(items).orderBy(asc(items.id)).iterator()) },
    {
      name: 'a transaction: insert, then read inside it',
      run: (orm) =>
        orm.transaction(async (tx) => {
          await tx.insert(items).values({ label: 't1' });
          return tx.select().from(items).orderBy(asc(items.id));
        }),
    },
    {
      // mysql2's header has more fields (fieldCount, info, serverStatus, …); leakproof's the two Drizzle reads.
      name: "update: the header's affectedRows",
      run: async (orm) => (await orm.update(items).set({ label: 'u' }).where(gt(items.id, 1)))[0].affectedRows,
    },
    {
      // mysql2 answers [rows, FieldPacket[]]; leakproof [rows, []]: the rows are compared.
      name: 'execute(sql): the rows',
      run: async (orm) => (await orm.execute(sql`SELECT id, label FROM ${items} ORDER BY id`))[0],
    },
    {
      name: 'dates and times, written and read back (the process off UTC)',
      run: async (orm) => {
        await orm.delete(mysqlDates);
        await orm.insert(mysqlDates).values({ id: 1, at: AT, day: DAY, daySt: '2026-01-02', ts: AT, atSt: '2026-01-02 03:04:05' });
        return orm.select().from(mysqlDates);
      },
    },
    {
      name: "a duplicate key: the error drizzle wraps the driver's in",
      run: (orm) => thrown(orm.insert(items).values({ id: 1, label: 'again' })),
    },
    {
      name: 'tx.rollback() inside a nested transaction: what it throws, and the rows left',
      run: async (orm) => {
        const outcome = await thrown(
          orm.transaction(async (tx) => {
            await tx.insert(items).values({ label: 'kept?' });
            await tx.transaction(async (inner) => {
              await inner.insert(items).values({ label: 'inner' });
              inner.rollback();
            });
          }),
        );
        return { outcome, rows: await orm.select({ label: items.label }).from(items).orderBy(asc(items.id)) };
      },
    },
  ];
  return { schema, cases };
}

function pgCases() {
  const { items, tags, ...relations } = pgTables(prefix);
  const schema = { items, tags, ...relations };
  type Orm = PgRemoteDatabase<typeof schema>;
  const cases: Case<Orm>[] = [
    { name: 'select, ordered', run: (orm) => orm.select().from(items).orderBy(asc(items.id)) },
    { name: 'select matching nothing', run: (orm) => orm.select().from(items).where(eq(items.label, 'none')) },
    {
      name: 'left join, an absent side null',
      run: (orm) => orm.select().from(items).leftJoin(tags, eq(tags.itemId, items.id)).orderBy(asc(items.id), asc(tags.id)),
    },
    { name: 'aggregates: count() and a raw count(*)', run: (orm) => orm.select({ n: count(), raw: sql`count(*)` }).from(items) },
    { name: '$count', run: (orm) => orm.$count(items, gt(items.id, 1)) },
    { name: 'findMany with its tags', run: (orm) => orm.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) }) },
    { name: 'findFirst matching nothing', run: (orm) => orm.query.items.findFirst({ where: eq(items.label, 'none') }) },
    {
      name: 'insert returning',
      run: (orm) =>
        orm
          .insert(items)
          .values([{ label: 'n1' }, { label: 'n2' }])
          .returning(),
    },
    { name: 'update returning', run: (orm) => orm.update(items).set({ label: 'u' }).where(gt(items.id, 1)).returning() },
    { name: 'delete returning', run: (orm) => orm.delete(items).where(eq(items.id, 1)).returning({ id: items.id }) },
    {
      name: 'a prepared select, placeholders filled',
      run: (orm) =>
        orm
          .select()
          .from(items)
          .where(gt(items.id, sql.placeholder('id')))
          .prepare('conformance_after')
          .execute({ id: 1 }),
    },
    {
      name: 'a transaction: insert, then read inside it',
      run: (orm) =>
        orm.transaction(async (tx) => {
          await tx.insert(items).values({ label: 't1' });
          return tx.select().from(items).orderBy(asc(items.id));
        }),
    },
    {
      // node-postgres answers its QueryResult ({ rows, rowCount, fields, … }); leakproof, as pg-proxy, the rows.
      name: 'execute(sql): the rows',
      run: async (orm) => {
        const answer: unknown = await orm.execute(sql`SELECT id, label, count(*) OVER () AS total FROM ${items} ORDER BY id`);
        return Array.isArray(answer) ? answer : (answer as { rows: unknown[] }).rows;
      },
    },
    {
      name: 'dates, times and intervals, written and read back (the process off UTC)',
      run: async (orm) => {
        await orm.delete(pgDates);
        await orm
          .insert(pgDates)
          .values({ id: 1, at: AT, atz: AT, atSt: '2026-01-02 03:04:05', day: DAY, daySt: '2026-01-02', span: '1 day 02:00:00' });
        return orm.select().from(pgDates);
      },
    },
    {
      name: "a duplicate key: the error drizzle wraps the driver's in",
      run: (orm) => thrown(orm.insert(items).values({ id: 1, label: 'again' })),
    },
    {
      name: 'tx.rollback() inside a nested transaction: what it throws, and the rows left',
      run: async (orm) => {
        const outcome = await thrown(
          orm.transaction(async (tx) => {
            await tx.insert(items).values({ label: 'kept?' });
            await tx.transaction(async (inner) => {
              await inner.insert(items).values({ label: 'inner' });
              inner.rollback();
            });
          }),
        );
        return { outcome, rows: await orm.select({ label: items.label }).from(items).orderBy(asc(items.id)) };
      },
    },
  ];
  return { schema, cases };
}

function sqliteCases() {
  const { items, tags, ...relations } = sqliteTables(prefix);
  const schema = { items, tags, ...relations };
  type Orm = SqliteRemoteDatabase<typeof schema>;
  const cases: Case<Orm>[] = [
    { name: 'select, ordered', run: async (orm) => orm.select().from(items).orderBy(asc(items.id)) },
    {
      name: '.all(), .get(), .get() matching nothing, .values()',
      run: async (orm) => {
        const q = orm.select().from(items).orderBy(asc(items.id));
        return [await q.all(), await q.get(), await orm.select().from(items).where(eq(items.label, 'none')).get(), await q.values()];
      },
    },
    {
      name: 'left join, an absent side null',
      run: async (orm) => orm.select().from(items).leftJoin(tags, eq(tags.itemId, items.id)).orderBy(asc(items.id), asc(tags.id)),
    },
    { name: 'aggregates: count() and a raw count(*)', run: async (orm) => orm.select({ n: count(), raw: sql`count(*)` }).from(items) },
    { name: '$count', run: async (orm) => orm.$count(items, gt(items.id, 1)) },
    { name: 'findMany with its tags', run: async (orm) => orm.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) }) },
    { name: 'findFirst matching nothing', run: async (orm) => orm.query.items.findFirst({ where: eq(items.label, 'none') }) },
    {
      name: 'insert returning',
      run: async (orm) =>
        orm
          .insert(items)
          .values([{ label: 'n1' }, { label: 'n2' }])
          .returning(),
    },
    { name: 'update returning', run: async (orm) => orm.update(items).set({ label: 'u' }).where(gt(items.id, 1)).returning() },
    { name: 'delete returning', run: async (orm) => orm.delete(items).where(eq(items.id, 1)).returning({ id: items.id }) },
    {
      name: 'a prepared select, placeholders filled',
      run: async (orm) =>
        orm
          .select()
          .from(items)
          .where(gt(items.id, sql.placeholder('id')))
          .prepare()
          .all({ id: 1 }),
    },
    {
      // better-sqlite3 answers its RunResult; leakproof, as sqlite-proxy, with `changes` among its fields.
      name: 'run(): the changes',
      // (sqlite-proxy's result type names only `rows`.)
      run: async (orm) =>
        ((await orm.update(items).set({ label: 'r' }).where(gt(items.id, 1)).run()) as unknown as { changes: number }).changes,
    },
    {
      name: 'dates as numbers and text, written and read back',
      run: async (orm) => {
        await orm.delete(sqliteDates);
        await orm.insert(sqliteDates).values({ id: 1, at: AT, atSeconds: new Date('2026-01-02T03:04:05Z'), day: '2026-01-02' });
        return orm.select().from(sqliteDates);
      },
    },
    {
      name: "a duplicate key: the error drizzle wraps the driver's in",
      run: (orm) => thrown(orm.insert(items).values({ id: 1, label: 'again' })),
    },
  ];
  return { schema, cases };
}

forEachEngine('leakproof/drizzle answers as drizzle-orm’s own driver', ['mariadb', 'postgres', 'sqlite'], (engine, target) => {
  const opened: Databases[] = [];
  let own: { orm: unknown; close(): Promise<void> } | undefined;

  const admin = (statements: readonly string[]): Promise<void> => runStatements(engine().url, statements);

  before(async () => {
    await admin([...drizzleDdl(engine().name, prefix), `DROP TABLE IF EXISTS ${DATES}`, DATES_DDL[engine().name]]);
    own = await ownDriver(engine());
  });
  after(async () => {
    await own?.close();
    for (const dbs of opened) await dbs.close();
    await admin([...dropDrizzleTables(prefix), `DROP TABLE IF EXISTS ${DATES}`]);
  });

  const { schema, cases } = target === 'mariadb' ? mysqlCases() : target === 'postgres' ? pgCases() : sqliteCases();
  // On MySQL both of leakproof's clients must answer as drizzle-orm/mysql2 does.
  const clients = target === 'mariadb' ? (['mysql2', 'mariadb'] as const) : ([undefined] as const);
  for (const client of clients) {
    let dbs: Databases | undefined;
    for (const { name, run } of cases as Case<unknown>[]) {
      it(client === undefined ? name : `${name} (leakproof on ${client})`, async () => {
        if (dbs === undefined) {
          dbs = createDatabases({ default: { url: engine().url, ...mysqlClientOptions(client) } });
          opened.push(dbs);
        }
        const ours = drizzle(dbs.get(), { schema, dialect: DIALECT[engine().name], ...(target === 'mariadb' ? { mode: MYSQL_MODE } : {}) });
        await admin(refillStatements(engine().name, prefix));
        const expected = await run(own!.orm);
        await admin(refillStatements(engine().name, prefix));
        const actual = await dbs.run(() => run(ours));
        assert.deepEqual(actual, expected);
      });
    }
  }
});

/** MariaDB has no LATERAL join: relational queries with `with` need drizzle's planetscale mode, on both sides. */
const MYSQL_MODE = 'planetscale';

const DIALECT = { mariadb: 'mysql', postgres: 'postgresql', sqlite: 'sqlite' } as const;

/** drizzle-orm's own driver on a connection of its own to the engine's database. */
async function ownDriver(engine: EngineContext): Promise<{ orm: unknown; close(): Promise<void> }> {
  if (engine.name === 'mariadb') {
    const { schema } = mysqlCases();
    const connection = await mysql.createConnection({ uri: engine.url });
    return { orm: ownMysql2(connection, { schema, mode: MYSQL_MODE }), close: () => connection.end() };
  }
  if (engine.name === 'postgres') {
    const { schema } = pgCases();
    const client = new pg.Client({ connectionString: engine.url });
    await client.connect();
    return { orm: ownNodePostgres(client, { schema }), close: () => client.end() };
  }
  const { schema } = sqliteCases();
  const file = new BetterSqlite3(engine.url.replace(/^sqlite:/, ''));
  return { orm: ownBetterSqlite3(file, { schema }), close: async () => void file.close() };
}
