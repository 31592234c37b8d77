/**
 * The HTTP servers compared side by side: `GET /item?id=N` answers one primary-key row as JSON.
 * Every variant shares the URL parsing and the response code, so the only difference between
 * a raw variant and its leakproof counterpart is how the connection is obtained and returned.
 *
 * The raw variants are written the way a careful user writes them: the pool's own `query()`,
 * which checks a connection out, runs the statement and returns the connection before the
 * promise resolves (and is also each pool's fastest path), with errors answered 500. The ORM
 * peers (orm-variants.ts) sit behind the same raw handler.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import mariadb from 'mariadb';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { AliasOptions } from '../src/index.js';
import { loadLeakproof } from './leakproof-build.js';
import { ITEM_COUNT, addressOptions } from './config.js';
import { createFrameworkVariant, FRAMEWORK_VARIANTS, type FrameworkVariantName } from './framework-variants.js';
import { isOrmVariant, ORM_VARIANTS, ormSource, type OrmVariantName } from './orm-variants.js';
import { withRunQueue, type Handler, type Variant, type VariantSettings } from './variant.js';
import {
  isQueryBuilderVariant,
  QUERY_BUILDER_VARIANTS,
  queryBuilderSource,
  type ItemSource,
  type QueryBuilderVariantName,
} from './query-builder-variants.js';

const MYSQL_SQL = 'SELECT id, name, price_cents, description FROM bench_item WHERE id = ?';
const PG_SQL = 'SELECT id, name, price_cents, description FROM bench_item WHERE id = $1';

/** Labels, in the order the report lists them. */
export const HTTP_VARIANTS = {
  'raw-mysql2': 'raw mysql2 pool',
  'raw-mysql2-als': 'raw mysql2 pool + AsyncLocalStorage.run',
  'leakproof-mysql2': 'leakproof/http + mysql2',
  'leakproof-mysql2-cached': 'leakproof/http + mysql2, statementCache 100',
  'raw-mariadb': 'raw mariadb pool',
  'raw-mariadb-als': 'raw mariadb pool + AsyncLocalStorage.run',
  'leakproof-mariadb': 'leakproof/http + mariadb',
  'raw-pg': 'raw pg Pool',
  'raw-pg-als': 'raw pg Pool + AsyncLocalStorage.run',
  'raw-pg-held': 'raw pg Pool, connection held until the response closes',
  'raw-mysql2-per-request': 'mysql2 connection opened and closed per request (hand-written, unbounded)',
  'leakproof-mysql2-per-request': 'leakproof/http + mysql2, maxLifetime 0',
  'raw-pg-per-request': 'pg Client opened and closed per request (hand-written, unbounded)',
  'leakproof-pg-per-request': 'leakproof/http + pg, maxLifetime 0',
  'leakproof-pg-per-request-uncached': 'leakproof/http + pg, maxLifetime 0, statementCache 0',
  'leakproof-pg': 'leakproof/http + pg',
  'leakproof-pg-uncached': 'leakproof/http + pg, statementCache 0',
  ...FRAMEWORK_VARIANTS,
  ...QUERY_BUILDER_VARIANTS,
  ...ORM_VARIANTS,
} as const;

export type VariantName = keyof typeof HTTP_VARIANTS;

/**
 * What `npm run bench` runs unless BENCH_HTTP_VARIANTS says otherwise. The `-als` variants (the
 * raw handler inside `AsyncLocalStorage.run`, the floor of any ALS-based design on Node 20)
 * are opt-in: they separate the ALS tax from leakproof's own cost, at 50 % more run time; so is
 * `raw-pg-held` (the raw pool holding each connection for the whole request, as leakproof does).
 * The statement cache runs both ways on both engines (pg: on by default, mysql2: off), so its
 * effect is measured in the same run as everything else.
 */
export const DEFAULT_HTTP_VARIANTS: readonly VariantName[] = [
  'raw-mysql2',
  'leakproof-mysql2',
  'leakproof-mysql2-cached',
  'raw-mariadb',
  'leakproof-mariadb',
  'raw-pg',
  'leakproof-pg',
  'leakproof-pg-uncached',
  ...(Object.keys(FRAMEWORK_VARIANTS) as FrameworkVariantName[]),
  ...(Object.keys(QUERY_BUILDER_VARIANTS) as QueryBuilderVariantName[]).filter((name) => !name.endsWith('-als')),
  ...(Object.keys(ORM_VARIANTS) as OrmVariantName[]),
];

export function isVariantName(name: string): name is VariantName {
  return Object.hasOwn(HTTP_VARIANTS, name);
}

export async function createVariant(name: VariantName, settings: VariantSettings): Promise<Variant> {
  const { mysqlUrl, pgUrl, poolSize } = settings;
  // maxConnections 10 is leakproof's default: with the default BENCH_POOL its options are the defaults.
  switch (name) {
    case 'raw-mysql2':
      return rawMysql2(mysqlUrl, poolSize);
    case 'raw-mariadb':
      return rawMariadb(mysqlUrl, poolSize);
    case 'raw-pg':
      return rawPg(pgUrl, poolSize);
    case 'raw-mysql2-als':
      return insideAls(rawMysql2(mysqlUrl, poolSize));
    case 'raw-mariadb-als':
      return insideAls(rawMariadb(mysqlUrl, poolSize));
    case 'raw-pg-als':
      return insideAls(rawPg(pgUrl, poolSize));
    case 'raw-pg-held':
      return rawPgHeld(pgUrl, poolSize);
    case 'leakproof-mysql2':
      return viaLeakproof({ url: mysqlUrl, client: 'mysql2', maxConnections: poolSize }, MYSQL_SQL, settings);
    case 'leakproof-mysql2-cached':
      return viaLeakproof({ url: mysqlUrl, client: 'mysql2', maxConnections: poolSize, statementCache: 100 }, MYSQL_SQL, settings);
    case 'leakproof-mariadb':
      return viaLeakproof({ url: mysqlUrl, client: 'mariadb', maxConnections: poolSize }, MYSQL_SQL, settings);
    case 'leakproof-pg':
      return viaLeakproof({ url: pgUrl, maxConnections: poolSize }, PG_SQL, settings);
    case 'raw-mysql2-per-request':
      return rawMysql2PerRequest(mysqlUrl);
    case 'leakproof-mysql2-per-request':
      return viaLeakproof({ url: mysqlUrl, client: 'mysql2', maxConnections: poolSize, maxLifetime: 0 }, MYSQL_SQL, settings);
    case 'raw-pg-per-request':
      return rawPgPerRequest(pgUrl);
    case 'leakproof-pg-per-request':
      return viaLeakproof({ url: pgUrl, maxConnections: poolSize, maxLifetime: 0 }, PG_SQL, settings);
    case 'leakproof-pg-per-request-uncached':
      return viaLeakproof({ url: pgUrl, maxConnections: poolSize, maxLifetime: 0, statementCache: 0 }, PG_SQL, settings);
    case 'leakproof-pg-uncached':
      return viaLeakproof({ url: pgUrl, maxConnections: poolSize, statementCache: 0 }, PG_SQL, settings);
    default:
      if (isOrmVariant(name)) return queryBuilderVariant(await ormSource(name, settings));
      if (!isQueryBuilderVariant(name)) return createFrameworkVariant(name, settings);
      // The -als raw variants: the same query builder and pool, each request inside AsyncLocalStorage.run.
      return name.endsWith('-als')
        ? insideAls(await queryBuilderVariant(await queryBuilderSource(name, settings)))
        : queryBuilderVariant(await queryBuilderSource(name, settings));
  }
}

/** A query builder's or an ORM's lookup behind the raw handler, or behind leakproof/http when it runs on leakproof. */
async function queryBuilderVariant(source: ItemSource): Promise<Variant> {
  if (source.dbs === undefined) return { handle: rawHandler(source.find), close: () => source.close() };
  const { withDatabases } = await loadLeakproof();
  const handle = withDatabases(source.dbs, async (req: IncomingMessage, res: ServerResponse) => {
    const id = itemId(req.url);
    if (id === undefined) return sendJson(res, 404, { error: 'NOT_FOUND' });
    sendItem(res, await source.find(id));
  });
  return { handle, close: () => source.close() };
}

/** `/item?id=N` with 1 <= N <= ITEM_COUNT, else undefined. Plain string work, same for all. */
function itemId(url: string | undefined): number | undefined {
  if (url === undefined || !url.startsWith('/item?id=')) return undefined;
  const id = Number(url.slice(9));
  return Number.isInteger(id) && id >= 1 && id <= ITEM_COUNT ? id : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // With writeHead and no length Node would send the body chunked: one more frame per response.
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendItem(res: ServerResponse, row: unknown): void {
  if (row === undefined) sendJson(res, 404, { error: 'NOT_FOUND' });
  else sendJson(res, 200, row);
}

/** The raw handlers' shape: parse, one query, answer; any error is a 500. */
function rawHandler(query: (id: number) => Promise<unknown>): Handler {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const id = itemId(req.url);
    if (id === undefined) return sendJson(res, 404, { error: 'NOT_FOUND' });
    try {
      sendItem(res, await query(id));
    } catch (error) {
      console.error('raw handler failed:', error);
      if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL_SERVER_ERROR' });
    }
  };
  return (req, res) => void serve(req, res);
}

function rawMysql2(url: string, poolSize: number): Variant {
  const pool = mysql.createPool({ ...addressOptions(url), connectionLimit: poolSize });
  return {
    handle: rawHandler(async (id) => {
      const [rows] = await pool.query<mysql.RowDataPacket[]>(MYSQL_SQL, [id]);
      return rows[0];
    }),
    close: () => pool.end(),
  };
}

function rawMariadb(url: string, poolSize: number): Variant {
  const pool = mariadb.createPool({ ...addressOptions(url), connectionLimit: poolSize });
  return {
    handle: rawHandler(async (id) => {
      const rows = await pool.query<unknown[]>(MYSQL_SQL, [id]);
      return rows[0];
    }),
    close: () => pool.end(),
  };
}

function rawPg(url: string, poolSize: number): Variant {
  const pool = new pg.Pool({ ...addressOptions(url), max: poolSize });
  return {
    handle: rawHandler(async (id) => (await pool.query(PG_SQL, [id])).rows[0]),
    close: () => pool.end(),
  };
}

/**
 * A connection per request, as a careful user writes it without a pool: opened, one query,
 * closed in `finally`. Nothing bounds how many are open at once (64 clients: up to 64 sessions);
 * leakproof's `maxLifetime: 0` is the same lifecycle inside its budget.
 */
function rawMysql2PerRequest(url: string): Variant {
  return {
    handle: rawHandler(async (id) => {
      const connection = await mysql.createConnection(addressOptions(url));
      try {
        const [rows] = await connection.query<mysql.RowDataPacket[]>(MYSQL_SQL, [id]);
        return rows[0];
      } finally {
        await connection.end();
      }
    }),
    close: async () => {},
  };
}

function rawPgPerRequest(url: string): Variant {
  return {
    handle: rawHandler(async (id) => {
      const client = new pg.Client(addressOptions(url));
      await client.connect();
      try {
        return (await client.query(PG_SQL, [id])).rows[0];
      } finally {
        await client.end();
      }
    }),
    close: async () => {},
  };
}

/**
 * The raw pool used the way leakproof uses its pool: the request's connection is checked out
 * for the whole request and returned when the response closes (opt-in: it separates what
 * holding a connection per request costs from what leakproof adds).
 */
function rawPgHeld(url: string, poolSize: number): Variant {
  const pool = new pg.Pool({ ...addressOptions(url), max: poolSize });
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const id = itemId(req.url);
    if (id === undefined) return sendJson(res, 404, { error: 'NOT_FOUND' });
    const client = await pool.connect();
    res.once('close', () => client.release());
    try {
      sendItem(res, (await client.query(PG_SQL, [id])).rows[0]);
    } catch (error) {
      console.error('raw handler failed:', error);
      if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL_SERVER_ERROR' });
    }
  };
  return { handle: (req, res) => void serve(req, res), close: () => pool.end() };
}

/** Each request inside its own `AsyncLocalStorage.run`, as the baseline research measured. */
function insideAls(variant: Variant): Variant {
  const storage = new AsyncLocalStorage<object>();
  const handle: Handler = (req, res) => storage.run({}, variant.handle, req, res);
  return { handle, close: () => variant.close() };
}

/** leakproof's documented usage: default options (persistent pool, maxConnections 10), maxWaiting where the run sets it. */
async function viaLeakproof(alias: AliasOptions, sql: string, settings: VariantSettings): Promise<Variant> {
  const { createDatabases, withDatabases } = await loadLeakproof();
  const dbs = createDatabases({ default: withRunQueue(alias, settings) });
  const db = dbs.get();
  const handle = withDatabases(
    dbs,
    async (req: IncomingMessage, res: ServerResponse) => {
      const id = itemId(req.url);
      if (id === undefined) return sendJson(res, 404, { error: 'NOT_FOUND' });
      const rows = await db.query(sql, [id]);
      sendItem(res, rows[0]);
    },
    { holdOffShed: settings.holdOffShed },
  );
  return { handle, close: () => dbs.close() };
}
