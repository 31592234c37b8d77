/**
 * leakproof/kysely answers as Kysely's own dialects do. Every case runs the same Kysely calls
 * twice on the same tables, refilled with the same rows (ids restarting) before each run: once
 * through Kysely's MysqlDialect (a mysql2 pool), PostgresDialect (a pg Pool) or SqliteDialect
 * (better-sqlite3), once through LeakproofDialect in a scope; the answers must be equal, the
 * results of writes (`insertId`, `numUpdatedRows`, MySQL's `numChangedRows`, …) included. With
 * leakproof's mariadb client, MySQL's `numChangedRows` is absent: the connector does not report
 * it (Kysely's own MySQL dialect runs on mysql2 only).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  MysqlDialect,
  PostgresDialect,
  sql,
  SqliteDialect,
  type Dialect,
  type Generated,
  type PostgresCursorConstructor,
} from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { createDatabases, type Databases } from '../src/index.js';
import { LeakproofDialect } from '../src/kysely/leakproof-dialect.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import type { EngineName } from './support/dialect.js';
import { drizzleDdl, dropDrizzleTables, refillStatements } from './support/drizzle-tables.js';
import { collect, mysqlClientOptions, rejectionOf, withoutConnectionId } from './support/compare.js';
import { runStatements } from './support/run-statements.js';

const prefix = 'kysely_c';
const items = `${prefix}_items` as const;
const tags = `${prefix}_tags` as const;
const dates = `${prefix}_dates` as const;

/**
 * Off UTC at a fractional offset, so that a Date written or read in another zone than the raw
 * driver's would come back a different value.
 */
process.env['TZ'] = 'Asia/Kolkata';

interface DB {
  [items]: { id: Generated<number>; label: string };
  [tags]: { id: Generated<number>; item_id: number; name: string };
  [dates]: { id: number; at: Date; day: Date };
}

/** A DATETIME/timestamp and a DATE column, written as Dates and read back as the driver reads them. */
const DATES_DDL: Readonly<Record<EngineName, string>> = {
  mariadb: `CREATE TABLE ${dates} (id INT PRIMARY KEY, at DATETIME(3), day DATE)`,
  postgres: `CREATE TABLE ${dates} (id INT PRIMARY KEY, at TIMESTAMP(3), day DATE)`,
  sqlite: `CREATE TABLE ${dates} (id INTEGER PRIMARY KEY, at TEXT, day TEXT)`,
};

interface Case {
  readonly name: string;
  /** Engines the case is for; all when absent. */
  readonly only?: readonly EngineName[];
  readonly run: (k: Kysely<DB>) => Promise<unknown>;
}

/** What a failed call threw: its class, message (the mariadb connector's without its connection id) and codes. */
async function thrown(run: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await rejectionOf(run);
  assert.ok(error instanceof Error, `it did not fail: ${String(error)}`);
  const fields = error as unknown as Record<string, unknown>;
  return {
    class: error.constructor.name,
    message: withoutConnectionId(error.message),
    code: fields['code'],
    errno: fields['errno'],
    sqlState: fields['sqlState'],
  };
}

const CASES: readonly Case[] = [
  { name: 'select, ordered', run: (k) => k.selectFrom(items).selectAll().orderBy('id').execute() },
  { name: 'executeTakeFirst matching nothing', run: (k) => k.selectFrom(items).selectAll().where('label', '=', 'none').executeTakeFirst() },
  {
    name: 'left join, an absent side null',
    run: (k) =>
      k
        .selectFrom(items)
        .leftJoin(tags, `${tags}.item_id`, `${items}.id`)
        .select([`${items}.id`, `${items}.label`, `${tags}.id as tag_id`, `${tags}.name`])
        .orderBy(`${items}.id`)
        .orderBy(`${tags}.id`)
        .execute(),
  },
  {
    name: 'countAll',
    run: (k) =>
      k
        .selectFrom(items)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow(),
  },
  {
    name: 'insert: its InsertResult',
    run: (k) =>
      k
        .insertInto(items)
        .values([{ label: 'n1' }, { label: 'n2' }])
        .execute(),
  },
  {
    name: 'insert returning',
    only: ['postgres', 'sqlite'],
    run: (k) =>
      k
        .insertInto(items)
        .values([{ label: 'n1' }, { label: 'n2' }])
        .returningAll()
        .execute(),
  },
  // Two rows match, one of them already has the label: MySQL counts it matched, not changed.
  { name: 'update: its UpdateResult', run: (k) => k.updateTable(items).set({ label: 'second' }).executeTakeFirstOrThrow() },
  { name: 'delete: its DeleteResult', run: (k) => k.deleteFrom(tags).where('name', '=', 'red').executeTakeFirstOrThrow() },
  {
    name: 'sql`…`.execute: a SELECT and a write',
    run: async (k) => [
      await sql`SELECT id, label FROM ${sql.table(items)} ORDER BY id`.execute(k),
      await sql`INSERT INTO ${sql.table(items)} (label) VALUES (${'w'})`.execute(k),
    ],
  },
  {
    name: 'a transaction: insert, then read inside it',
    run: (k) =>
      k.transaction().execute(async (trx) => {
        await trx.insertInto(items).values({ label: 't1' }).execute();
        return trx.selectFrom(items).selectAll().orderBy('id').execute();
      }),
  },
  { name: 'stream', run: (k) => collect(k.selectFrom(items).selectAll().orderBy('id').stream(1)) },
  // Kysely's dialects throw the driver's error as it is; so must leakproof/kysely.
  { name: "a duplicate key: the driver's error", run: (k) => thrown(k.insertInto(items).values({ id: 1, label: 'again' }).execute()) },
  {
    name: 'dates written as Dates and read back (the process off UTC)',
    only: ['mariadb', 'postgres'],
    run: async (k) => {
      await k.deleteFrom(dates).execute();
      await k
        .insertInto(dates)
        .values({ id: 1, at: new Date('2026-01-02T03:04:05.678Z'), day: new Date('2026-01-02T00:00:00Z') })
        .execute();
      return k.selectFrom(dates).selectAll().execute();
    },
  },
];

forEachEngine('leakproof/kysely answers as Kysely’s own dialect', ['mariadb', 'postgres', 'sqlite'], (engine, target) => {
  const opened: Databases[] = [];
  let own: Kysely<DB> | undefined;
  const admin = (statements: readonly string[]): Promise<void> => runStatements(engine().url, statements);

  before(async () => {
    await admin([...drizzleDdl(engine().name, prefix), `DROP TABLE IF EXISTS ${dates}`, DATES_DDL[engine().name]]);
    own = new Kysely<DB>({ dialect: await ownDialect(engine()) });
  });
  after(async () => {
    await own?.destroy();
    for (const dbs of opened) await dbs.close();
    await admin([...dropDrizzleTables(prefix), `DROP TABLE IF EXISTS ${dates}`]);
  });

  const name: EngineName = target === 'postgres-pgbouncer' ? 'postgres' : target;
  // On MySQL both of leakproof's clients must answer as Kysely's mysql2 dialect does.
  const clients = name === 'mariadb' ? (['mysql2', 'mariadb'] as const) : ([undefined] as const);
  for (const client of clients) {
    let dbs: Databases | undefined;
    for (const { name: title, run } of CASES.filter((c) => c.only === undefined || c.only.includes(name))) {
      it(client === undefined ? title : `${title} (leakproof on ${client})`, async () => {
        if (dbs === undefined) {
          dbs = createDatabases({ default: { url: engine().url, ...mysqlClientOptions(client) } });
          opened.push(dbs);
        }
        const ours = new Kysely<DB>({ dialect: new LeakproofDialect(dbs.get()) });
        await admin(refillStatements(name, prefix));
        const expected = await run(own!);
        await admin(refillStatements(name, prefix));
        const actual = await dbs.run(() => run(ours));
        // The mariadb connector does not report MySQL's changed rows (mysql2 reads them from the
        // server's info message), and its errors are its own class with its own message (the codes agree).
        const drop = new Set(client === 'mariadb' ? ['numChangedRows', 'class', 'message'] : []);
        assert.deepEqual(compared(actual, drop), compared(expected, drop));
      });
    }
  }
});

/**
 * The answer as compared: keys whose value is undefined left out (Kysely's pg driver answers a
 * SELECT with `numAffectedRows: undefined`, leakproof's without the key: to code reading it the
 * same), and the keys in `drop` (what a client does not report) left out everywhere.
 */
function compared(value: unknown, drop: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => compared(item, drop));
  if (typeof value !== 'object' || value === null || value instanceof Date || value instanceof Uint8Array) return value;
  const kept = Object.entries(value).filter(([key, v]) => v !== undefined && !drop.has(key));
  // Kysely's results are class instances (UpdateResult, …): the copy keeps the class.
  return Object.assign(
    Object.create(Object.getPrototypeOf(value) as object) as object,
    Object.fromEntries(kept.map(([k, v]) => [k, compared(v, drop)])),
  );
}

/** Kysely's own dialect for the engine, on a pool (or file) of its own; its pg streams need pg-cursor. */
async function ownDialect(engine: EngineContext): Promise<Dialect> {
  if (engine.name === 'mariadb') return new MysqlDialect({ pool: createPool({ uri: engine.url, connectionLimit: 2 }) });
  if (engine.name === 'postgres') {
    // pg-cursor ships no types (so it is imported by a name tsc does not resolve); Kysely takes its constructor as it is.
    const cursorPackage = 'pg-cursor';
    const { default: Cursor } = (await import(cursorPackage)) as { default: PostgresCursorConstructor };
    return new PostgresDialect({ pool: new pg.Pool({ connectionString: engine.url, max: 2 }), cursor: Cursor });
  }
  return new SqliteDialect({ database: new BetterSqlite3(engine.url.replace(/^sqlite:/, '')) });
}
