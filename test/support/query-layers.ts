/**
 * The query layers the end-path suite issues its statements through: leakproof's own
 * `db.query`, Kysely over `leakproof/kysely`, and Drizzle over `leakproof/drizzle`. Each gives
 * the same few calls on the suite's scratch table (id, label), so every end path is the same
 * test whichever layer sends the SQL.
 */
import { CompiledQuery, Kysely, sql as ksql, type Generated } from 'kysely';
import { sql } from 'drizzle-orm';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { pgTable, serial, varchar as pgVarchar } from 'drizzle-orm/pg-core';
import type { Database } from '../../src/index.js';
import { LeakproofDialect } from '../../src/kysely/leakproof-dialect.js';
import { drizzle } from '../../src/drizzle/drizzle.js';
import { DIALECTS, type EngineName } from './dialect.js';
import type { EngineTarget } from './engines.js';
import { endlessSql, endlessTable } from './streaming.js';

export interface LayerCalls {
  /** `SELECT 1 AS one`: the number 1. */
  selectOne(): Promise<number>;
  /** A statement that runs on the server for `seconds`. */
  sleep(seconds: number): Promise<unknown>;
  /** Inserts a row with this label into the scratch table. */
  insert(label: string): Promise<unknown>;
  /** The rows of a result without end, `n` by `n`, read `batchSize` at a time; undefined where the layer cannot stream. */
  readonly endless: ((batchSize: number) => AsyncIterable<number>) | undefined;
}

export interface QueryLayer {
  readonly name: 'db' | 'kysely' | 'drizzle';
  /** Why the layer has no row stream on this engine; undefined when it has one. */
  noStream(engine: EngineTarget): string | undefined;
  calls(db: Database, engine: EngineName, table: string): LayerCalls;
}

export const DIRECT: QueryLayer = {
  name: 'db',
  noStream: () => undefined,
  calls: (db, engine, table) => ({
    selectOne: async () => Number((await db.query('SELECT 1 AS one'))[0]!['one']),
    sleep: (seconds) => db.query(DIALECTS[engine].sleep(seconds)),
    insert: (label) => db.execute(`INSERT INTO ${table} (label) VALUES (${DIALECTS[engine].param(1)})`, [label]),
    endless: async function* (batchSize) {
      for await (const row of db.stream(endlessSql(engine), [], { batchSize })) yield Number(row['n']);
    },
  }),
};

interface ScratchTable {
  id: Generated<number>;
  label: string;
}

/** Any table name is the scratch table (its name has the test process's pid in it). */
type KyselyDb = Record<string, ScratchTable>;

export const KYSELY: QueryLayer = {
  name: 'kysely',
  noStream: () => undefined,
  calls: (db, engine, table) => {
    const k = new Kysely<KyselyDb>({ dialect: new LeakproofDialect(db) });
    return {
      selectOne: async () => Number((await k.selectNoFrom(ksql<number>`1`.as('one')).executeTakeFirstOrThrow()).one),
      sleep: (seconds) => ksql.raw(DIALECTS[engine].sleep(seconds)).execute(k),
      insert: (label) => k.insertInto(table).values({ label }).execute(),
      // The endless SQL as it is (Kysely's executor streams a compiled query): wrapped in a
      // derived table, MariaDB took seconds longer to stop it after the KILL QUERY.
      endless: async function* (batchSize) {
        const query: CompiledQuery<{ n: number }> = CompiledQuery.raw(endlessSql(engine));
        for await (const { rows } of k.getExecutor().stream(query, batchSize)) {
          for (const row of rows) yield Number(row.n);
        }
      },
    };
  },
};

export const DRIZZLE: QueryLayer = {
  name: 'drizzle',
  noStream: (engine) =>
    engine === 'mariadb' ? undefined : "drizzle-orm has no row iterator on PostgreSQL or SQLite (MySQL's only): stream with db.stream()",
  calls: (db, engine, table) => (engine === 'postgres' ? drizzlePgCalls(db, table) : drizzleMysqlCalls(db, table)),
};

function drizzlePgCalls(db: Database, table: string): LayerCalls {
  const scratch = pgTable(table, { id: serial('id').primaryKey(), label: pgVarchar('label', { length: 100 }).notNull() });
  const orm = drizzle(db, { dialect: 'postgresql' });
  return {
    selectOne: async () => Number((await orm.execute<{ one: number }>(sql`SELECT 1 AS one`))[0]!.one),
    sleep: (seconds) => orm.execute(sql.raw(DIALECTS.postgres.sleep(seconds))),
    insert: (label) => orm.insert(scratch).values({ label }),
    endless: undefined,
  };
}

function drizzleMysqlCalls(db: Database, table: string): LayerCalls {
  const scratch = mysqlTable(table, { id: int('id').autoincrement().primaryKey(), label: varchar('label', { length: 100 }).notNull() });
  const orm = drizzle(db, { dialect: 'mysql' });
  return {
    // A raw SELECT answers [rows, fields], as drizzle's mysql2 session does; its type says header.
    selectOne: async () => Number(((await orm.execute(sql`SELECT 1 AS one`)) as unknown as [{ one: number }[]])[0][0]!.one),
    sleep: (seconds) => orm.execute(sql.raw(DIALECTS.mariadb.sleep(seconds))),
    insert: (label) => orm.insert(scratch).values({ label }),
    // drizzle's iterator reads the rows one by one whatever the batch: db.stream's own default.
    endless: async function* () {
      for await (const row of orm
        .select({ n: sql<number>`seq` })
        .from(sql.raw(endlessTable()))
        .iterator())
        yield Number(row.n);
    },
  };
}
