/**
 * The leakproof side of the in-process part: scopes with and without a query, and the same
 * statements as the raw side through leakproof's persistent pools (default options).
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Databases } from '../src/index.js';
import { ITEM_COUNT } from './config.js';
import { PK_SELECT_SQLITE, randomIds, type OpenVariants, type WorkerSettings } from './micro-spec.js';
import { openVariants as openRawVariants } from './micro-raw.js';
import { loadLeakproof } from './leakproof-build.js';

/** Raw operations also run here, where AsyncLocalStorage is enabled, under `<key>-als`. */
const WITH_ALS = ['mysql2/raw', 'mariadb/raw', 'pg/raw', 'sqlite/raw-cached'];

const noop = async (): Promise<void> => {};

export async function openVariants(settings: WorkerSettings): Promise<OpenVariants> {
  const { createDatabases } = await loadLeakproof();
  // Nothing connects until the first query; the scope suite never queries.
  const scopeOnly = createDatabases({ default: { url: 'sqlite::memory:', maxConnections: 1 } });
  const mysql2 = createDatabases({ default: { url: settings.mysqlUrl, client: 'mysql2' } });
  const mariadb = createDatabases({ default: { url: settings.mysqlUrl, client: 'mariadb' } });
  const pg = createDatabases({ default: settings.pgUrl });
  // sqlite:// + an absolute path: the URL form for `/tmp/...`.
  const sqlite = createDatabases({ default: `sqlite://${settings.sqliteFile}` });
  const als = new AsyncLocalStorage<object>();
  const store = {};
  const ids = randomIds(ITEM_COUNT);
  const selectOne = (dbs: Databases): (() => unknown) => {
    const db = dbs.get();
    const query = (): Promise<unknown> => db.query('SELECT 1');
    return () => dbs.run(query);
  };
  const sqliteDb = sqlite.get();

  const ops = new Map<string, (i: number) => unknown>([
    ['scope/plain-als', noop],
    ['scope/als-run', () => als.run(store, noop)],
    ['scope/dbs-run', () => scopeOnly.run(noop)],
    [
      'scope/adapter-scope',
      () => {
        const scope = scopeOnly.createScope();
        return scope.run(noop).then(() => scope.end('finished'));
      },
    ],
    ['mysql2/leakproof', selectOne(mysql2)],
    ['mariadb/leakproof', selectOne(mariadb)],
    ['pg/leakproof', selectOne(pg)],
    ['sqlite/leakproof', (i: number) => sqlite.run(() => sqliteDb.query(PK_SELECT_SQLITE, [ids[i & 0xffff]]))],
  ]);

  const raw = await openRawVariants(settings);
  for (const key of WITH_ALS) ops.set(`${key}-als`, raw.ops.get(key)!);

  // Enable AsyncLocalStorage before anything is measured, as any request would.
  await scopeOnly.run(noop);
  return {
    ops,
    close: async () => {
      await Promise.all([raw.close(), ...[scopeOnly, mysql2, mariadb, pg, sqlite].map((dbs) => dbs.close())]);
    },
  };
}
