/**
 * What a stranger's HTTP client learns when the database refuses a connection: the stable code
 * and a generic message, 503 with Retry-After, on every adapter; nothing about the database
 * (user, host, port, name, the server's own words). The detail goes to the server's log once
 * per kind of error (rate-limited), through a pino-compatible logger, and to
 * `diagnostics_channel` every time.
 */
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve as serveHono } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { it } from 'node:test';
import { PUBLIC_MESSAGES, type Databases } from '../src/index.js';
import { REQUEST_ERROR_CHANNEL, withDatabases, type Logger, type RequestErrorEvent } from '../src/adapters/http.js';
import leakproofFastify from '../src/adapters/fastify.js';
import { leakproof as leakproofExpress, leakproofErrorHandler } from '../src/adapters/express.js';
import { leakproof as leakproofHono } from '../src/adapters/hono.js';
import { trackForCleanup } from './support/cleanup.js';
import { forEachEngine } from './support/engines.js';

const WRONG = 'Wrong-Pw-For-Answers-42';

interface Captured {
  readonly lines: string[];
  readonly logger: Logger;
}

function capture(): Captured {
  const lines: string[] = [];
  const push = (fields: Record<string, unknown>, message: string): void =>
    void lines.push(`${message} ${((fields['err'] as Error | undefined)?.cause as Error | undefined)?.message ?? ''}`);
  return { lines, logger: { error: push, warn: push } };
}

type Serve = (dbs: Databases, log: Captured) => Promise<http.Server>;

const query = (dbs: Databases) => async (): Promise<unknown> => dbs.get().query('SELECT 1');

const ADAPTERS: Record<string, Serve> = {
  'node:http': async (dbs, log) =>
    http.createServer(withDatabases(dbs, async (_req, res) => void res.end(JSON.stringify(await query(dbs)())), { logger: log.logger })),
  fastify: async (dbs, log) => {
    // Fastify logs the errors its handler answers with its own (pino) logger.
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => void (log.lines.push(chunk.toString()), done()) });
    const app = Fastify({ logger: { level: 'error', stream } });
    await app.register(leakproofFastify, { databases: dbs, closeDatabases: false });
    app.get('/*', query(dbs));
    await app.ready();
    trackForCleanup(() => app.close());
    return app.server;
  },
  express: async (dbs, log) => {
    const app = express();
    app.use(leakproofExpress(dbs));
    app.get('/{*path}', async (_req, res) => void res.json(await query(dbs)()));
    app.use(leakproofErrorHandler({ logger: log.logger }));
    return http.createServer(app);
  },
  hono: async (dbs, log) => {
    const app = new Hono();
    app.use(leakproofHono(dbs, { logger: log.logger }));
    app.get('*', async (c) => c.json(await query(dbs)()));
    const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
    await new Promise((resolve) => server.once('listening', resolve));
    return server;
  },
};

async function listen(server: http.Server): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trackForCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

forEachEngine('what a client is told when the database refuses', ['mariadb', 'postgres'], (engine) => {
  for (const [name, serveWith] of Object.entries(ADAPTERS)) {
    it(`${name}: 503, Retry-After, the code and a generic message; the detail in the server's log, once`, async () => {
      const url = new URL(engine().url);
      url.password = WRONG;
      const dbs = engine().databases({ default: { url: url.toString(), retryAfter: 3000 } });
      const log = capture();
      const events: RequestErrorEvent[] = [];
      const onEvent = (message: unknown): void => void events.push(message as RequestErrorEvent);
      diagnosticsChannel.subscribe(REQUEST_ERROR_CHANNEL, onEvent);
      try {
        const port = await listen(await serveWith(dbs, log));
        for (let i = 0; i < 3; i++) {
          const response = await fetch(`http://127.0.0.1:${port}/polls/${i}`);
          const text = await response.text();
          assert.equal(response.status, 503, text);
          assert.equal(response.headers.get('retry-after'), '3');
          const body = JSON.parse(text) as Record<string, unknown>;
          assert.equal(body['code'] ?? body['error'], 'CONNECTION_FAILED', text);
          assert.equal(body['message'], PUBLIC_MESSAGES[503]);
          for (const secret of [WRONG, url.username, url.hostname, url.port, url.pathname.slice(1), 'denied', 'password', 'alias']) {
            assert.ok(!text.includes(secret), `the answer tells a stranger ${JSON.stringify(secret)}: ${text}`);
          }
        }
        const logged = log.lines.join('\n');
        assert.match(logged, /could not connect to (mysql|postgres):\/\/[^:]+:\*\*\*@127\.0\.0\.1/);
        assert.match(logged, /Access denied|password authentication failed/);
        assert.ok(!logged.includes(WRONG), logged);
        if (name !== 'fastify') {
          assert.equal(log.lines.length, 1, `logged ${log.lines.length} times, not once:\n${logged}`);
          assert.equal(events.length, 3);
          assert.deepEqual(
            events.map((e) => [e.code, e.status, e.label]),
            [0, 1, 2].map((i) => ['CONNECTION_FAILED', 503, `GET /polls/${i}`]),
          );
        }
      } finally {
        diagnosticsChannel.unsubscribe(REQUEST_ERROR_CHANNEL, onEvent);
      }
    });
  }
});
