/**
 * Promises per Kysely query, counted with an async_hooks init hook (deterministic, unlike a
 * timing): Kysely over leakproof inside a scope, against Kysely's own SqliteDialect on a raw
 * better-sqlite3 connection. Under AsyncLocalStorage on Node 20 each promise of the process
 * runs a hook, so the count is what leakproof/kysely can still cut.
 *
 *   node --import tsx bench/kysely-promises.ts
 *
 * @module
 */
import { createHook } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createDatabases } from '../src/index.js';
import { LeakproofDialect } from '../src/kysely/leakproof-dialect.js';

interface Schema {
  t: { id: number };
}

const ROUNDS = 2000;
let promises = 0;
createHook({
  init(_id, type) {
    if (type === 'PROMISE') promises++;
  },
}).enable();

async function perOp(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  const before = promises;
  for (let i = 0; i < ROUNDS; i++) await fn();
  return (promises - before) / ROUNDS;
}

const dbs = createDatabases({ default: { url: 'sqlite::memory:', maxConnections: 1, maxLifetime: 600_000 } });
await dbs.run(async () => {
  await dbs.get().execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
  await dbs.get().execute('INSERT INTO t VALUES (1)');
});
const overLeakproof = new Kysely<Schema>({ dialect: new LeakproofDialect(dbs.get()) });
const raw = new Database(':memory:');
raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)');
const overRaw = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }) });

const rows = [
  ['db.query in dbs.run (leakproof alone)', await perOp(() => dbs.run(() => dbs.get().query('SELECT id FROM t WHERE id = ?', [1])))],
  [
    'Kysely over leakproof, one query in dbs.run',
    await perOp(() => dbs.run(() => overLeakproof.selectFrom('t').select('id').where('id', '=', 1).execute())),
  ],
  ["Kysely's SqliteDialect on raw better-sqlite3", await perOp(() => overRaw.selectFrom('t').select('id').where('id', '=', 1).execute())],
] as const;
for (const [label, count] of rows) console.log(`${count.toFixed(1).padStart(5)} promises/op  ${label}`);
await overRaw.destroy();
await dbs.close();
