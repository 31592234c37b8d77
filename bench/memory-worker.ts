/**
 * One memory measurement, in a process of its own (started with --expose-gc by bench/memory.ts):
 * what an idle pooled connection and a request in flight cost the process, on a raw pool or on
 * leakproof, measured as the growth of V8's heap plus the memory outside it (Buffers, sockets'
 * native state) between two settled, collected moments.
 *
 *   argv: <MemorySettings as JSON>     IPC: sends `result` (MemoryResult), then exits.
 *
 * - per idle connection: the pool with one connection open, then with `idleConnections` open and
 *   all of them back in the pool.
 * - per request in flight: a pool of 10 with its 10 connections open, then `inFlight` requests
 *   at once, each holding a connection until a gate opens (the way a request holds leakproof's
 *   lease until it ends): 10 of them hold a connection, the rest wait in the pool's queue. The
 *   raw side is the pool used the same way (getConnection, one query, release at the end).
 *   In-process, so node:http's own request objects are not counted, only the library's.
 *
 * @module
 */
import mariadb from 'mariadb';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { exitWithParent, sendToParent } from './child.js';
import { addressOptions } from './config.js';
import { loadLeakproof } from './leakproof-build.js';
import type { MemoryResult, MemorySettings } from './memory-spec.js';

/** One way of using a pool: open connections, and a request that holds one until `gate` opens. */
interface Subject {
  readonly request: (gate: Promise<void>) => Promise<void>;
  readonly counts: () => { idle: number; holding: number; waiting: number };
  close(): Promise<void>;
}

const POOL = 10;
const MYSQL_SQL = 'SELECT 1';

async function subject(settings: MemorySettings, maxConnections: number): Promise<Subject> {
  switch (settings.variant) {
    case 'raw-mysql2': {
      const pool = mysql.createPool({ ...addressOptions(settings.mysqlUrl), connectionLimit: maxConnections, queueLimit: 0 });
      const inner = pool.pool as unknown as { _freeConnections: { length: number }; _allConnections: { length: number } };
      let waiting = 0;
      return {
        request: async (gate) => {
          waiting++;
          const connection = await pool.getConnection();
          waiting--;
          try {
            await connection.query(MYSQL_SQL);
            await gate;
          } finally {
            connection.release();
          }
        },
        counts: () => ({
          idle: inner._freeConnections.length,
          holding: inner._allConnections.length - inner._freeConnections.length,
          waiting,
        }),
        close: () => pool.end(),
      };
    }
    case 'raw-mariadb': {
      // minimumIdle 1: by default the pool opens connectionLimit connections at once, so none would be measured.
      const pool = mariadb.createPool({
        ...addressOptions(settings.mysqlUrl),
        connectionLimit: maxConnections,
        minimumIdle: 1,
        acquireTimeout: 60_000,
      });
      return {
        request: async (gate) => {
          const connection = await pool.getConnection();
          try {
            await connection.query(MYSQL_SQL);
            await gate;
          } finally {
            await connection.release();
          }
        },
        counts: () => ({
          idle: pool.idleConnections(),
          holding: pool.activeConnections(),
          waiting: pool.taskQueueSize(),
        }),
        close: () => pool.end(),
      };
    }
    case 'raw-pg': {
      const pool = new pg.Pool({ ...addressOptions(settings.pgUrl), max: maxConnections });
      return {
        request: async (gate) => {
          const client = await pool.connect();
          try {
            await client.query(MYSQL_SQL);
            await gate;
          } finally {
            client.release();
          }
        },
        counts: () => ({ idle: pool.idleCount, holding: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }),
        close: () => pool.end(),
      };
    }
    case 'leakproof-mysql2':
    case 'leakproof-mariadb':
    case 'leakproof-pg': {
      const { createDatabases } = await loadLeakproof();
      const where =
        settings.variant === 'leakproof-pg'
          ? { url: settings.pgUrl }
          : { url: settings.mysqlUrl, client: settings.variant === 'leakproof-mysql2' ? ('mysql2' as const) : ('mariadb' as const) };
      // serverShareWarning 0: the idle measurement opens 50, more than half of what a default server allows.
      const dbs = createDatabases({ default: { ...where, maxConnections, maxWaiting: settings.inFlight, serverShareWarning: 0 } });
      const db = dbs.get();
      return {
        // What an adapter does for a request: a scope, the request's queries, the scope's end.
        request: async (gate) => {
          const scope = dbs.createScope();
          try {
            await scope.run(async () => {
              await db.query(MYSQL_SQL);
              await gate;
            });
          } finally {
            await scope.end('finished');
          }
        },
        counts: () => {
          const stats = dbs.stats()['default']!;
          return { idle: stats.idle, holding: stats.inUse, waiting: stats.waiting };
        },
        close: () => dbs.close(),
      };
    }
  }
}

/** Heap + external after collecting twice with a turn of the event loop between. */
async function settledBytes(): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with --expose-gc (bench/memory.ts does)');
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
  }
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Resolves when `ready` holds (the pool's counts tell), polling; fails after 30 s. */
async function waitUntil(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!ready()) throw new Error(`the pool never reached the measured state within 30 s`);
}

/** Opens `count` connections at once (requests held on a gate until each has one), then returns them to the pool. */
async function fill(pool: Subject, count: number): Promise<void> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const requests = Array.from({ length: count }, () => pool.request(gate));
  await waitUntil(() => pool.counts().holding === count);
  open();
  await Promise.all(requests);
  await waitUntil(() => pool.counts().idle === count);
}

async function idleConnectionBytes(settings: MemorySettings): Promise<{ bytes: number; idle: number }> {
  const pool = await subject(settings, settings.idleConnections);
  await pool.request(Promise.resolve());
  const before = await settledBytes();
  await fill(pool, settings.idleConnections);
  const after = await settledBytes();
  const { idle } = pool.counts();
  await pool.close();
  return { bytes: (after - before) / (settings.idleConnections - 1), idle };
}

async function inFlightBytes(settings: MemorySettings): Promise<{ bytes: number; holding: number; waiting: number }> {
  const pool = await subject(settings, POOL);
  await fill(pool, POOL);
  const before = await settledBytes();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const requests = Array.from({ length: settings.inFlight }, () => pool.request(gate));
  await waitUntil(() => pool.counts().holding === POOL && pool.counts().waiting === settings.inFlight - POOL);
  const after = await settledBytes();
  const { holding, waiting } = pool.counts();
  open();
  await Promise.all(requests);
  await pool.close();
  return { bytes: (after - before) / settings.inFlight, holding, waiting };
}

async function main(): Promise<void> {
  exitWithParent();
  const settings = JSON.parse(process.argv[2] ?? '{}') as MemorySettings;
  const idle = await idleConnectionBytes(settings);
  const inFlight = await inFlightBytes(settings);
  const result: MemoryResult = {
    bytesPerIdleConnection: idle.bytes,
    bytesPerRequestInFlight: inFlight.bytes,
    checks: { idle: idle.idle, holding: inFlight.holding, waiting: inFlight.waiting },
  };
  await sendToParent({ type: 'result', result });
  process.exit(0);
}

await main();
