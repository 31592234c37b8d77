/**
 * A database's own errors reach the caller as the driver throws them. The same failing
 * statements (a duplicate key, a NOT NULL, a missing table, a syntax error, a foreign key, a
 * division by zero) run through the driver package on a connection of its own and through
 * leakproof's `db.query` and `db.execute`, with the statement cache off and on: the errors must
 * carry the same class, code, errno, SQLSTATE, message and (PostgreSQL) detail, constraint and
 * table, so that code matching on `error.code === 'ER_DUP_ENTRY'` or `'23505'` keeps working.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { ExecuteValues } from 'mysql2/promise';
import { createDatabases, type AliasOptions, type Databases } from '../src/index.js';
import type { EngineName } from './support/dialect.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import { withMariadb, withMysql2, withPg } from './support/own-connections.js';
import { rejectionOf, withoutConnectionId } from './support/compare.js';
import { runStatements } from './support/run-statements.js';

const PARENT = `errors_parent_${process.pid}`;
const CHILD = `errors_child_${process.pid}`;

/** What an error says, as code reading it sees it (its stack and the driver's internals left out). */
const FIELDS = [
  'name',
  'code',
  'errno',
  'sqlState',
  'sqlMessage',
  'message',
  'severity',
  'detail',
  'constraint',
  'table',
  'column',
] as const;

function said(error: unknown): Record<string, unknown> {
  assert.ok(error instanceof Error, `not an Error: ${String(error)}`);
  const fields = Object.fromEntries(
    FIELDS.map((field) => [field, withoutConnectionId((error as unknown as Record<string, unknown>)[field])]),
  );
  return { class: error.constructor.name, ...fields };
}

/** The failing statements per engine, each with its parameters; every one runs after the same seed. */
function failing(engine: EngineName): { name: string; sql: string; params: unknown[] }[] {
  const p = (i: number): string => (engine === 'postgres' ? `$${i}` : '?');
  return [
    { name: 'duplicate key', sql: `INSERT INTO ${PARENT} (id, label) VALUES (${p(1)}, ${p(2)})`, params: [1, 'again'] },
    { name: 'NOT NULL', sql: `INSERT INTO ${PARENT} (id, label) VALUES (${p(1)}, ${p(2)})`, params: [9, null] },
    { name: 'foreign key', sql: `INSERT INTO ${CHILD} (id, parent_id) VALUES (${p(1)}, ${p(2)})`, params: [1, 404] },
    { name: 'missing table', sql: `SELECT * FROM errors_nowhere_${process.pid} WHERE id = ${p(1)}`, params: [1] },
    { name: 'syntax error', sql: `SELEC id FROM ${PARENT} WHERE id = ${p(1)}`, params: [1] },
    ...(engine === 'postgres' ? [{ name: 'division by zero', sql: `SELECT 1 / (id - ${p(1)}) AS x FROM ${PARENT}`, params: [1] }] : []),
  ];
}

/** The error the driver package itself throws for `sql`, on a connection of its own. */
async function ownError(engine: EngineContext, reader: Reader, sql: string, params: unknown[]): Promise<unknown> {
  const { client } = reader;
  if (client === 'mysql2') {
    // With the statement cache leakproof sends through execute(): the error is a prepared statement's.
    return withMysql2(engine.url, {}, (c) =>
      rejectionOf(reader.prepared === true ? c.execute(sql, params as ExecuteValues[]) : c.query(sql, params)),
    );
  }
  if (client === 'mariadb') return withMariadb(engine.url, {}, (c) => rejectionOf(c.query(sql, params)));
  if (engine.name === 'postgres') return withPg(engine.url, (c) => rejectionOf(c.query(sql, params)));
  const file = new BetterSqlite3(engine.url.replace(/^sqlite:/, ''));
  file.pragma('foreign_keys = ON');
  try {
    const statement = file.prepare(sql);
    if (statement.reader) statement.all(...params);
    else statement.run(...params);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    file.close();
  }
}

interface Reader {
  readonly name: string;
  readonly client: 'mysql2' | 'mariadb' | undefined;
  readonly options: Partial<AliasOptions>;
  /** mysql2 through its prepared statements (execute()), as leakproof's statement cache sends. */
  readonly prepared?: boolean;
}

function readers(engine: EngineName): Reader[] {
  if (engine === 'mariadb') {
    return [
      { name: 'mysql2', client: 'mysql2', options: { client: 'mysql2' } },
      {
        name: 'mysql2, statementCache 100 (execute())',
        client: 'mysql2',
        options: { client: 'mysql2', statementCache: 100 },
        prepared: true,
      },
      { name: 'mariadb', client: 'mariadb', options: { client: 'mariadb' } },
    ];
  }
  if (engine === 'postgres') {
    return [
      { name: 'pg, statementCache on (named statements)', client: undefined, options: {} },
      { name: 'pg, statementCache 0', client: undefined, options: { statementCache: 0 } },
    ];
  }
  return [{ name: 'better-sqlite3', client: undefined, options: {} }];
}

forEachEngine('database errors as the driver throws them', ['mariadb', 'postgres', 'sqlite'], (engine, target) => {
  const opened: Databases[] = [];
  const name: EngineName = target === 'postgres-pgbouncer' ? 'postgres' : target;

  before(() =>
    runStatements(engine().url, [
      `DROP TABLE IF EXISTS ${CHILD}`,
      `DROP TABLE IF EXISTS ${PARENT}`,
      `CREATE TABLE ${PARENT} (id INT PRIMARY KEY, label VARCHAR(20) NOT NULL)`,
      `CREATE TABLE ${CHILD} (id INT PRIMARY KEY, parent_id INT NOT NULL REFERENCES ${PARENT} (id))`,
      `INSERT INTO ${PARENT} (id, label) VALUES (1, 'first')`,
    ]),
  );
  after(async () => {
    for (const dbs of opened) await dbs.close();
    await runStatements(engine().url, [`DROP TABLE IF EXISTS ${CHILD}`, `DROP TABLE IF EXISTS ${PARENT}`]);
  });

  for (const reader of readers(name)) {
    it(`${reader.name}: db.query and db.execute throw what the driver throws`, async () => {
      // SQLite checks foreign keys only when asked, per connection: leakproof's connections are asked below.
      const dbs = createDatabases({ default: { url: engine().url, ...reader.options } });
      opened.push(dbs);
      const db = dbs.get();
      for (const { name: what, sql, params } of failing(name)) {
        const expected = said(await ownError(engine(), reader, sql, params));
        const [viaQuery, viaExecute] = await dbs.run(async () => {
          if (name === 'sqlite') await db.execute('PRAGMA foreign_keys = ON');
          return [await db.query(sql, params).catch((e: unknown) => e), await db.execute(sql, params).catch((e: unknown) => e)];
        });
        assert.deepEqual(said(viaQuery), expected, `${what}, db.query`);
        assert.deepEqual(said(viaExecute), expected, `${what}, db.execute`);
      }
    });
  }
});
