/**
 * The app a mixed soak runs against: node:http and leakproof/http, one route per way a request
 * can end. Used in-process by the CI soak and as a child process by `bench/soak.ts` (which
 * measures the app's heap, so the load must not share it).
 *
 * Routes (GET): `/item?id=N` one SELECT; `/slow` a 0.2 s statement (clients leave mid-query);
 * `/throw` a SELECT then a throw; `/stream` rows written with backpressure (clients leave
 * mid-stream); `/tx?tag=T&outcome=commit|rollback|abort` a transaction inserting one row
 * (rollback throws inside it; abort sleeps until its client has left); `/heap` the live heap
 * after a full collection, with the pool's stats.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as delay } from 'node:timers/promises';
import { currentScope, type Databases, type Queryable } from '../../../src/index.js';
import { withDatabases } from '../../../src/adapters/http.js';
import { DIALECTS, type EngineName } from '../dialect.js';
import { rowsSql } from '../streaming.js';

export interface SoakApp {
  readonly port: number;
  close(): Promise<void>;
}

export const SOAK_OUTCOMES = ['commit', 'rollback', 'abort'] as const;
export type SoakOutcome = (typeof SOAK_OUTCOMES)[number];

/** Creates the soak's table (dropped first) through `dbs`. */
export async function createSoakTable(dbs: Databases, engine: EngineName, table: string): Promise<void> {
  await dbs.run(async () => {
    await dbs.get().execute(`DROP TABLE IF EXISTS ${table}`);
    await dbs.get().execute(DIALECTS[engine].createTable(table));
  });
}

/** Rows the soak's transactions left, by outcome (`label` is `outcome:tag`). */
export async function soakRows(dbs: Databases, table: string): Promise<Record<SoakOutcome, number>> {
  const rows = await dbs.run(() => dbs.get().query(`SELECT label FROM ${table}`));
  const counts: Record<SoakOutcome, number> = { commit: 0, rollback: 0, abort: 0 };
  for (const row of rows) counts[String(row['label']).split(':')[0] as SoakOutcome]++;
  return counts;
}

export async function startSoakApp(dbs: Databases, engine: EngineName, table: string): Promise<SoakApp> {
  const db = dbs.get();
  const dialect = DIALECTS[engine];
  const streamSql = rowsSql(engine, 5000, 40);
  const handler = withDatabases(
    dbs,
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://soak');
      switch (url.pathname) {
        case '/item':
          return void res.end(JSON.stringify(await db.query(`SELECT ${dialect.param(1)} AS id`, [Number(url.searchParams.get('id'))])));
        case '/slow':
          await db.query(dialect.sleep(0.2));
          return void res.end('slept');
        case '/throw':
          await db.query('SELECT 1 AS one');
          throw new Error('the handler failed');
        case '/stream':
          return writeRows(db.stream(streamSql, [], { batchSize: 50 }), res as http.ServerResponse);
        case '/tx':
          return void res.end(await transaction(dbs, engine, table, url.searchParams));
        case '/heap':
          return void res.end(JSON.stringify({ heapUsed: liveHeap(), stats: dbs.stats() }));
        default:
          res.statusCode = 404;
          res.end();
      }
    },
    { onError: () => {}, logger: false },
  );
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function transaction(dbs: Databases, engine: EngineName, table: string, query: URLSearchParams): Promise<string> {
  const outcome = query.get('outcome') as SoakOutcome;
  const dialect = DIALECTS[engine];
  return dbs.get().transaction(async (tx) => {
    await tx.execute(`INSERT INTO ${table} (label) VALUES (${dialect.param(1)})`, [`${outcome}:${query.get('tag') ?? ''}`]);
    if (outcome === 'rollback') throw new Error('rolled back on purpose');
    if (outcome === 'abort') await untilClientLeft(tx, engine);
    return 'committed';
  });
}

/** A servers' client leaves during the statement; SQLite's, which has no sleep, while the handler waits. */
async function untilClientLeft(tx: Queryable, engine: EngineName): Promise<void> {
  if (engine !== 'sqlite') {
    await tx.query(DIALECTS[engine].sleep(0.3));
    return;
  }
  await delay(300);
  await tx.query('SELECT 1 AS one');
}

async function writeRows(rows: AsyncIterable<Record<string, unknown>>, res: http.ServerResponse): Promise<void> {
  // The signal aborts when the client leaves: its response would never drain.
  const signal = currentScope()!.signal;
  for await (const row of rows) {
    if (!res.write(`${String(row['n'])}\n`)) await once(res, 'drain', { signal });
  }
  res.end();
}

let gc: (() => void) | undefined;

function liveHeap(): number {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
