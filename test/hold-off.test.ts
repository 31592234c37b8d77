/**
 * A keep-alive connection shed with QUEUE_FULL is not read for the Retry-After it was sent
 * (`holdOffShed`, on by default, in every adapter), so a client that retries at once costs the
 * server nothing until then. Checked by order, not by time: the shed client's immediate retry
 * is read only after the pool has room again (it is answered 200, and after a request that a
 * second client sent later on a connection of its own), while without the hold-off the same
 * retry is read at once and shed again. The database never holds more than the one session.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve as serveHono } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { it } from 'node:test';
import type { Databases } from '../src/index.js';
import { gracefulShutdown, withDatabases } from '../src/adapters/http.js';
import leakproofFastify from '../src/adapters/fastify.js';
import { leakproof as leakproofExpress, leakproofErrorHandler } from '../src/adapters/express.js';
import { leakproof as leakproofHono } from '../src/adapters/hono.js';
import { heldOffConnections, MAX_HELD_OFF } from '../src/adapters/shared/hold-off.js';
import { httpGet } from './harness/faults.js';
import { trackForCleanup } from './support/cleanup.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import { eventually } from './support/serve.js';

const RETRY_AFTER_MS = 3000;

/** What every route does: note the path, query, hold the connection on `/hold` until the gate opens. */
type Route = (path: string) => Promise<void>;
type ServeWith = (dbs: Databases, route: Route, holdOffShed: boolean) => Promise<http.Server>;

const ADAPTERS: Record<string, ServeWith> = {
  'node:http': async (dbs, route, holdOffShed) =>
    http.createServer(
      withDatabases(dbs, async (req, res) => void (await route(req.url ?? ''), res.end('ok')), { logger: false, holdOffShed }),
    ),
  fastify: async (dbs, route, holdOffShed) => {
    const app = Fastify();
    await app.register(leakproofFastify, { databases: dbs, closeDatabases: false, holdOffShed });
    app.get('/*', async (request) => (await route(request.url), 'ok'));
    await app.ready();
    trackForCleanup(() => app.close());
    return app.server;
  },
  express: async (dbs, route, holdOffShed) => {
    const app = express();
    app.use(leakproofExpress(dbs));
    app.get('/{*path}', async (req, res) => void (await route(req.url), res.send('ok')));
    app.use(leakproofErrorHandler({ logger: false, holdOffShed }));
    return http.createServer(app);
  },
  hono: async (dbs, route, holdOffShed) => {
    const app = new Hono();
    app.use(leakproofHono(dbs, { logger: false, holdOffShed }));
    app.get('*', async (c) => (await route(c.req.path), c.text('ok')));
    const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
    await new Promise((resolve) => server.once('listening', resolve));
    return server;
  },
};

forEachEngine('holding off a shed connection', ['mariadb', 'postgres'], (engine) => {
  for (const [name, serveWith] of Object.entries(ADAPTERS)) {
    it(`${name}: the shed client asks again at once on the same connection: read after the pool has room, answered 200, after a later client`, async () => {
      const setup = await start(engine(), serveWith, true);
      const first = await setup.client.get('/first');
      assert.equal(first.status, 503);
      assert.equal(first.headers['retry-after'], String(RETRY_AFTER_MS / 1000));
      const again = setup.client.get('/again');
      setup.open();
      assert.equal((await setup.holding).status, 200);
      assert.equal((await httpGet(setup.port, '/later')).status, 200);
      const retried = await again;
      assert.equal(retried.reused, true, 'the retry went out on the shed connection');
      assert.equal(retried.status, 200);
      assert.deepEqual(setup.seen, ['/hold', '/first', '/later', '/again']);
      await finish(setup, engine());
    });

    it(`${name}, holdOffShed: false: the same retry is read at once, before a later client, and shed again`, async () => {
      const setup = await start(engine(), serveWith, false);
      assert.equal((await setup.client.get('/first')).status, 503);
      const again = setup.client.get('/again');
      // Sent after the retry, on a connection of its own, while the pool is still held: shed too.
      // Held off, the retry would be read only after this one (and after its 3 s).
      assert.equal((await httpGet(setup.port, '/later')).status, 503);
      const retried = await again;
      assert.equal(retried.reused, true);
      assert.equal(retried.status, 503);
      setup.open();
      assert.equal((await setup.holding).status, 200);
      assert.deepEqual(setup.seen, ['/hold', '/first', '/again', '/later']);
      await finish(setup, engine());
    });
  }
});

forEachEngine('a connection shed again and again', ['postgres'], (engine) => {
  it('each hold-off takes its close listener away when it ends: a connection shed twice holds one, not two', async () => {
    const setup = await start(engine(), ADAPTERS['node:http']!, true, 1000);
    let shed: import('node:net').Socket | undefined;
    setup.server.on('request', (req: http.IncomingMessage) => {
      if (req.url === '/first') shed = req.socket;
    });
    assert.equal((await setup.client.get('/first')).status, 503);
    const afterFirst = shed!.listenerCount('close');
    // Read when the first hold-off (1 s) ends, the pool still held: shed and held off again.
    const retried = await setup.client.get('/again');
    assert.equal(retried.reused, true);
    assert.equal(retried.status, 503);
    assert.equal(shed!.listenerCount('close'), afterFirst);
    assert.equal(heldOffConnections(), 1, 'the first hold-off was still counted after it ended');
    setup.open();
    assert.equal((await setup.holding).status, 200);
    await finish(setup, engine());
    assert.equal(heldOffConnections(), 0);
  });

  it('a client that leaves while held off: its close is read when the hold-off ends, and the socket is gone and counted out', async () => {
    const setup = await start(engine(), ADAPTERS['node:http']!, true, 1000);
    const sockets = (): Promise<number> =>
      new Promise((resolve, reject) => setup.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    assert.equal((await setup.client.get('/first')).status, 503);
    const open = await sockets();
    setup.client.close();
    // Paused, the server cannot read the client's goodbye yet.
    assert.equal(heldOffConnections(), 1);
    assert.ok(await eventually(async () => (await sockets()) === open - 1, 5000), 'the left socket was never closed');
    assert.equal(heldOffConnections(), 0);
    setup.open();
    assert.equal((await setup.holding).status, 200);
    await finish(setup, engine());
  });
});

forEachEngine('more shed connections than may be held off at once', ['postgres'], (engine) => {
  it(`past ${MAX_HELD_OFF} held off, a shed connection is read on at once; the held ones are counted out as they close`, async () => {
    // Retry-After 30 s: none of the hold-offs ends while the test runs.
    const setup = await start(engine(), ADAPTERS['node:http']!, true, 30_000);
    const held = Array.from({ length: MAX_HELD_OFF }, () => keepAliveClient(setup.port));
    // In batches: a thousand connects at once would overflow the listen backlog.
    for (let i = 0; i < held.length; i += 100) {
      const answers = await Promise.all(held.slice(i, i + 100).map((client, j) => client.get(`/shed-${i + j}`)));
      assert.ok(
        answers.every((answer) => answer.status === 503),
        'every one was shed',
      );
    }
    assert.equal(heldOffConnections(), MAX_HELD_OFF);
    const heldRetry = held[0]!.get('/held-again').catch(() => 'cut');
    const extra = keepAliveClient(setup.port);
    assert.equal((await extra.get('/extra')).status, 503);
    const retried = await extra.get('/extra-again');
    assert.equal(retried.reused, true, 'the retry went out on the extra shed connection');
    assert.equal(retried.status, 503, 'read at once and shed again: the pool is still held');
    assert.ok(!setup.seen.includes('/held-again'), 'a held-off connection was read before its Retry-After');
    assert.equal(heldOffConnections(), MAX_HELD_OFF);
    setup.open();
    assert.equal((await setup.holding).status, 200);
    for (const client of [...held, extra]) client.close();
    await close(setup.server);
    assert.equal(await heldRetry, 'cut', 'the held retry was never served');
    assert.equal(heldOffConnections(), 0, 'a closed connection still counted as held off');
    assert.ok(setup.peak() <= 1, `the server held ${setup.peak()} sessions for a pool of 1`);
    await setup.dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });
});

forEachEngine('shutting down while a shed connection is held off', ['mariadb', 'postgres'], (engine) => {
  it('the shutdown closes the held-off connection (its unread retry is never served), ends no request, and leaves no session', async () => {
    const setup = await start(engine(), ADAPTERS['node:http']!, true);
    assert.equal((await setup.client.get('/first')).status, 503);
    const again = setup.client.get('/again').then(
      (answer) => `answered ${answer.status}`,
      (error: unknown) => `cut: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
    setup.open();
    assert.equal((await setup.holding).status, 200);
    const result = await gracefulShutdown(setup.server, setup.dbs);
    assert.equal(result.aborted, 0);
    assert.equal(await again, 'cut: ECONNRESET');
    assert.deepEqual(setup.seen, ['/hold', '/first']);
    assert.equal(await engine().waitForCount(0), 0);
    setup.client.close();
  });
});

interface Setup {
  readonly dbs: Databases;
  readonly server: http.Server;
  readonly port: number;
  readonly client: KeepAliveClient;
  /** Paths in the order the handler saw them. */
  readonly seen: string[];
  /** `/hold`, which keeps the pool's only connection until `open()`. */
  readonly holding: Promise<{ status: number }>;
  readonly peak: () => number;
  open(): void;
}

/** A pool of one, no waiting room: `/hold` takes the connection, the next request is shed. */
async function start(engine: EngineContext, serveWith: ServeWith, holdOffShed: boolean, retryAfter = RETRY_AFTER_MS): Promise<Setup> {
  const dbs = engine.databases({
    default: { url: engine.url, ...engine.aliasOptions, maxConnections: 1, maxWaiting: 0, retryAfter },
  });
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const seen: string[] = [];
  let peak = 0;
  const route: Route = async (path) => {
    seen.push(path);
    await dbs.get().query('SELECT 1');
    peak = Math.max(peak, await engine.count());
    if (path === '/hold') await gate;
  };
  const server = await serveWith(dbs, route, holdOffShed);
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  trackForCleanup(() => close(server));
  const holding = httpGet(port, '/hold');
  assert.ok(await eventually(() => dbs.stats()['default']!.inUse === 1 && seen.includes('/hold')), 'the pool never lent its connection');
  return { dbs, server, port, client: keepAliveClient(port), seen, holding, peak: () => peak, open };
}

async function finish(setup: Setup, engine: EngineContext): Promise<void> {
  assert.ok(setup.peak() <= 1, `the server held ${setup.peak()} sessions for a pool of 1`);
  setup.client.close();
  await close(setup.server);
  await setup.dbs.close();
  assert.equal(await engine.waitForCount(0), 0);
}

function close(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface KeepAliveClient {
  get(path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; reused: boolean }>;
  close(): void;
}

/** One keep-alive connection, reused for every request (an agent with a single socket). */
function keepAliveClient(port: number): KeepAliveClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, reused: request.reusedSocket }));
          response.on('error', reject);
        });
        request.setTimeout(15_000, () => request.destroy(new Error(`GET ${path}: no answer within 15 s`)));
        request.on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}
