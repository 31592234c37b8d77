/**
 * The adapters under test, each able to serve one framework-neutral app on a free port the
 * way an application on that framework would: its own body parser, its own error handling,
 * its own way of streaming. The end-path suite runs the same cases through every entry.
 *
 * @module
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { serve as serveHono } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { Databases } from '../../src/index.js';
import { withDatabases } from '../../src/adapters/http.js';
import type { ShutdownServer } from '../../src/adapters/shared/graceful-shutdown.js';
import leakproofFastify from '../../src/adapters/fastify.js';
import { leakproof as leakproofExpress } from '../../src/adapters/express.js';
import { leakproof as leakproofHono } from '../../src/adapters/hono.js';
import { trackForCleanup } from './cleanup.js';

/** What the app answers: a text body (200, or the status given), or chunks written as they come (a streamed response). */
export type Reply = string | { readonly status: number; readonly text: string } | { readonly chunks: AsyncIterable<string> };

export interface AppRequest {
  readonly method: string;
  readonly path: string;
  /** The JSON body, parsed by the framework's own parser (undefined for a GET). */
  readonly body: unknown;
}

/** A framework-neutral app: one handler for every GET and POST path. */
export interface App {
  handle(request: AppRequest): Promise<Reply> | Reply;
  /** Runs inside the request's scope before the framework reads the body. */
  beforeBody?(): Promise<void>;
}

export interface ServeOptions {
  readonly requestTimeout?: number;
  /** Serve h2c (HTTP/2 without TLS) instead of HTTP/1.1. */
  readonly http2?: boolean;
}

export interface ServedApp {
  readonly server: ShutdownServer;
  readonly port: number;
  /** Closes the server, cutting open connections, and waits for it. */
  close(): Promise<void>;
}

export type AdapterName = 'node:http' | 'fastify' | 'express' | 'hono';

export interface AdapterUnderTest {
  readonly name: AdapterName;
  /** Why this adapter cannot serve HTTP/2; undefined if it can. */
  readonly http2Skip?: string;
  serve(dbs: Databases, app: App, options?: ServeOptions): Promise<ServedApp>;
}

export const ADAPTERS: readonly AdapterUnderTest[] = [
  { name: 'node:http', serve: serveNodeHttp },
  { name: 'fastify', serve: serveFastify },
  {
    name: 'express',
    http2Skip: 'Express 5 does not serve HTTP/2 (its req/res extend the HTTP/1 IncomingMessage/ServerResponse)',
    serve: serveExpress,
  },
  { name: 'hono', serve: serveHonoApp },
];

async function serveNodeHttp(dbs: Databases, app: App, options: ServeOptions = {}): Promise<ServedApp> {
  const handler = withDatabases(
    dbs,
    async (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
      await app.beforeBody?.();
      const body = req.method === 'POST' ? (JSON.parse(await readBody(req)) as unknown) : undefined;
      const reply = await app.handle({ method: req.method ?? 'GET', path: req.url ?? '/', body });
      if (typeof reply === 'string') {
        res.end(reply);
        return;
      }
      if ('status' in reply) {
        res.statusCode = reply.status;
        res.end(reply.text);
        return;
      }
      const out = res as http.ServerResponse;
      out.writeHead(200, { 'content-type': 'text/plain' });
      for await (const chunk of reply.chunks) out.write(chunk);
      out.end();
    },
    { onError: () => {}, logger: false, requestTimeout: options.requestTimeout },
  );
  const server = options.http2 ? http2.createServer(handler) : http.createServer(handler);
  return listening(server);
}

async function serveFastify(dbs: Databases, app: App, options: ServeOptions = {}): Promise<ServedApp> {
  // One code path for both protocols: the HTTP/2 instance's types differ only in the raw objects.
  const fastify = (options.http2
    ? Fastify({ logger: false, http2: true })
    : Fastify({ logger: false, forceCloseConnections: true })) as unknown as FastifyInstance;
  await fastify.register(leakproofFastify, { databases: dbs, requestTimeout: options.requestTimeout });
  fastify.addHook('preParsing', async (_request, _reply, payload) => {
    await app.beforeBody?.();
    return payload;
  });
  fastify.route({
    method: ['GET', 'POST'],
    url: '/*',
    handler: async (request, reply) => {
      const result = await app.handle({ method: request.method, path: request.url, body: request.body });
      if (typeof result === 'string') return result;
      if ('status' in result) return reply.code(result.status).send(result.text);
      // Streamed the way Fastify apps write long responses themselves: hijacked, on the raw response.
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain' });
      for await (const chunk of result.chunks) reply.raw.write(chunk);
      reply.raw.end();
      return undefined;
    },
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const server = fastify.server as ShutdownServer;
  const sessions = trackSessions(server);
  return served(server, async () => {
    destroyAll(sessions);
    await fastify.close();
  });
}

async function serveExpress(dbs: Databases, app: App, options: ServeOptions = {}): Promise<ServedApp> {
  const web = express();
  web.set('env', 'test'); // no stack traces printed by the default error handler
  web.use(leakproofExpress(dbs, { requestTimeout: options.requestTimeout }));
  web.use((_req, _res, next) => {
    if (app.beforeBody === undefined) next();
    else void app.beforeBody().then(() => next(), next);
  });
  web.use(express.json());
  web.all('/{*path}', async (req, res) => {
    const reply = await app.handle({ method: req.method, path: req.originalUrl, body: req.method === 'POST' ? req.body : undefined });
    if (typeof reply === 'string') {
      res.send(reply);
      return;
    }
    if ('status' in reply) {
      res.status(reply.status).send(reply.text);
      return;
    }
    res.type('text/plain');
    for await (const chunk of reply.chunks) res.write(chunk);
    res.end();
  });
  return listening(http.createServer(web));
}

async function serveHonoApp(dbs: Databases, app: App, options: ServeOptions = {}): Promise<ServedApp> {
  const hono = new Hono();
  hono.use(leakproofHono(dbs, { requestTimeout: options.requestTimeout, logger: false }));
  hono.all('*', async (c) => {
    await app.beforeBody?.();
    const body = c.req.method === 'POST' ? await c.req.json<unknown>() : undefined;
    const reply = await app.handle({ method: c.req.method, path: c.req.path, body });
    if (typeof reply === 'string') return c.text(reply);
    if ('status' in reply) return c.text(reply.text, reply.status as 200);
    return stream(
      c,
      async (out) => {
        for await (const chunk of reply.chunks) await out.write(chunk);
      },
      async () => {},
    );
  });
  const server = await new Promise<ShutdownServer>((resolve) => {
    const s = serveHono(
      { fetch: hono.fetch, port: 0, hostname: '127.0.0.1', ...(options.http2 ? { createServer: http2.createServer } : {}) },
      () => resolve(s),
    );
  });
  return closeable(server);
}

/** Listens on a free loopback port; closed after the test whatever its outcome. */
export async function listening(server: ShutdownServer): Promise<ServedApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return closeable(server);
}

/** Closes by cutting every connection (and HTTP/2 session), then waiting for the close. */
function closeable(server: ShutdownServer): ServedApp {
  const sessions = trackSessions(server);
  return served(
    server,
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
        destroyAll(sessions);
      }),
  );
}

function served(server: ShutdownServer, close: () => Promise<void>): ServedApp {
  let closing: Promise<void> | undefined;
  const once = (): Promise<void> => (closing ??= close());
  trackForCleanup(once);
  return { server, port: (server.address() as AddressInfo).port, close: once };
}

function trackSessions(server: ShutdownServer): Set<http2.Http2Session> {
  const sessions = new Set<http2.Http2Session>();
  server.on('session', (session: http2.Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return sessions;
}

function destroyAll(sessions: Set<http2.Http2Session>): void {
  for (const session of sessions) session.destroy();
}

async function readBody(req: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk.toString();
  return text;
}
