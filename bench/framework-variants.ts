/**
 * The framework rows of the HTTP bench: `GET /item?id=N` on Fastify, Express and Hono, each
 * once with a raw driver pool written by hand and once with leakproof's adapter, so each pair
 * differs only in how the request gets its connection. Every framework answers with its own
 * JSON reply; within a pair the answer is the same.
 *
 * The raw handlers use the pool's own `query()`, which checks a connection out and returns it
 * before the promise resolves: the fastest way to use each pool, and a correct one.
 *
 * @module
 */
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import mysql from 'mysql2/promise';
import { addressOptions, ITEM_COUNT } from './config.js';
import { withRunQueue, type Handler, type Variant, type VariantSettings } from './variant.js';
import { loadAdapter, loadExpressErrorHandler, loadLeakproof } from './leakproof-build.js';

/** The driver under every framework row: the default for MySQL/MariaDB URLs. */
const SQL = 'SELECT id, name, price_cents, description FROM bench_item WHERE id = ?';

export const FRAMEWORK_VARIANTS = {
  'raw-fastify': 'Fastify + raw mysql2 pool',
  'leakproof-fastify': 'Fastify + leakproof/fastify (mysql2)',
  'raw-express': 'Express + raw mysql2 pool',
  'leakproof-express': 'Express + leakproof/express (mysql2)',
  'raw-hono': 'Hono + raw mysql2 pool',
  'leakproof-hono': 'Hono + leakproof/hono (mysql2)',
} as const;

export type FrameworkVariantName = keyof typeof FRAMEWORK_VARIANTS;

/** Looks one row up: the raw pool's or leakproof's, the same SQL. */
type FindItem = (id: number) => Promise<unknown>;

interface Source {
  readonly find: FindItem;
  close(): Promise<void>;
}

/** A leakproof adapter and the options every adapter takes here (the run's holdOffShed). */
interface Adapter {
  readonly plugin: unknown;
  readonly options: { readonly holdOffShed: boolean | undefined };
}

export async function createFrameworkVariant(name: FrameworkVariantName, settings: VariantSettings): Promise<Variant> {
  switch (name) {
    case 'raw-fastify':
      return fastifyVariant(rawSource(settings), undefined);
    case 'raw-express':
      return expressVariant(rawSource(settings), undefined);
    case 'raw-hono':
      return honoVariant(rawSource(settings), undefined);
    case 'leakproof-fastify':
      return fastifyVariant(await leakproofSource(settings), await adapterFor('fastify', settings));
    case 'leakproof-express':
      return expressVariant(await leakproofSource(settings), await adapterFor('express', settings), await loadExpressErrorHandler());
    case 'leakproof-hono':
      return honoVariant(await leakproofSource(settings), await adapterFor('hono', settings));
  }
}

async function adapterFor(name: 'fastify' | 'express' | 'hono', settings: VariantSettings): Promise<Adapter> {
  return { plugin: await loadAdapter(name), options: { holdOffShed: settings.holdOffShed } };
}

function rawSource(settings: VariantSettings): Source & { dbs?: undefined } {
  const pool = mysql.createPool({ ...addressOptions(settings.mysqlUrl), connectionLimit: settings.poolSize });
  return {
    find: async (id) => (await pool.query<mysql.RowDataPacket[]>(SQL, [id]))[0][0],
    close: () => pool.end(),
  };
}

async function leakproofSource(settings: VariantSettings): Promise<Source & { dbs: unknown }> {
  const { createDatabases } = await loadLeakproof();
  const dbs = createDatabases({
    default: withRunQueue({ url: settings.mysqlUrl, client: 'mysql2' as const, maxConnections: settings.poolSize }, settings),
  });
  const db = dbs.get();
  return { dbs, find: async (id) => (await db.query(SQL, [id]))[0], close: () => dbs.close() };
}

function itemId(raw: unknown): number | undefined {
  const id = Number(raw);
  return Number.isInteger(id) && id >= 1 && id <= ITEM_COUNT ? id : undefined;
}

async function fastifyVariant(source: Source & { dbs?: unknown }, adapter: Adapter | undefined): Promise<Variant> {
  const app = Fastify();
  // The plugin would close the databases with the app; the variant closes them itself.
  if (adapter !== undefined)
    await app.register(adapter.plugin as never, { databases: source.dbs, closeDatabases: false, ...adapter.options } as never);
  app.get<{ Querystring: { id?: string } }>('/item', async (request, reply) => {
    const id = itemId(request.query.id);
    const row = id === undefined ? undefined : await source.find(id);
    if (row === undefined) return reply.code(404).send({ error: 'NOT_FOUND' });
    return row;
  });
  await app.ready();
  // `routing` is the request listener Fastify gives its own server.
  const handle: Handler = (req, res) => app.routing(req, res);
  return {
    handle,
    close: async () => {
      await app.close();
      await source.close();
    },
  };
}

function expressVariant(source: Source & { dbs?: unknown }, adapter?: Adapter, errorHandler?: unknown): Variant {
  const app = express();
  if (adapter !== undefined)
    app.use((adapter.plugin as (dbs: unknown, options: object) => express.RequestHandler)(source.dbs, adapter.options));
  app.get('/item', async (req, res) => {
    const id = itemId(req.query['id']);
    const row = id === undefined ? undefined : await source.find(id);
    if (row === undefined) res.status(404).json({ error: 'NOT_FOUND' });
    else res.json(row);
  });
  // As the adapter's docs say: its errors (a shed request's 503 + Retry-After) answered by leakproof's handler.
  if (adapter !== undefined) app.use((errorHandler as (options: object) => express.ErrorRequestHandler)({ ...adapter.options }));
  return { handle: (req, res) => void app(req, res), close: () => source.close() };
}

function honoVariant(source: Source & { dbs?: unknown }, adapter: Adapter | undefined): Variant {
  const app = new Hono();
  if (adapter !== undefined)
    app.use((adapter.plugin as (dbs: unknown, options: object) => Parameters<typeof app.use>[0])(source.dbs, adapter.options));
  app.get('/item', async (c) => {
    const id = itemId(c.req.query('id'));
    const row = id === undefined ? undefined : await source.find(id);
    return row === undefined ? c.json({ error: 'NOT_FOUND' }, 404) : c.json(row);
  });
  const listener = getRequestListener(app.fetch);
  return { handle: (req, res) => void listener(req, res), close: () => source.close() };
}
