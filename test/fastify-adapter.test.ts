/**
 * What only Fastify has: encapsulated plugins and hooks, its error handler, a synchronous
 * handler that answers later, `onClose`, and plugin options. The end paths themselves are in
 * the shared end-path suite (its streamed responses go through `reply.hijack()`).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { currentScope, LeakproofError, type Databases, type RequestScope } from '../src/index.js';
import leakproof from '../src/adapters/fastify.js';
import { shutdownOnSignal } from '../src/adapters/shared/graceful-shutdown.js';
import { httpGet } from './harness/faults.js';
import { forEachEngine } from './support/engines.js';
import { eventually } from './support/serve.js';
import { trackForCleanup } from './support/cleanup.js';

async function start(app: FastifyInstance): Promise<number> {
  trackForCleanup(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

forEachEngine('leakproof/fastify', ['postgres'], (engine) => {
  const open = (options: Record<string, unknown> = {}): Databases =>
    engine().databases({ default: { url: engine().url, maxLifetime: 0, ...options } });

  it("routes in an encapsulated child plugin, and hooks added after the plugin, run in the request's scope", async () => {
    const dbs = open();
    const seen: (string | undefined)[] = [];
    const app = Fastify({ logger: false });
    await app.register(leakproof, { databases: dbs });
    app.addHook('preHandler', async () => void seen.push(`preHandler ${currentScope()?.label}`));
    await app.register(async (child) => {
      child.addHook('onRequest', async () => void seen.push(`child onRequest ${currentScope()?.label}`));
      child.post('/child', async (request) => {
        await dbs.get().query('SELECT 1');
        seen.push(`handler ${currentScope()?.label} ${JSON.stringify(request.body)}`);
        return 'ok';
      });
    });
    const port = await start(app);
    const response = await fetch(`http://127.0.0.1:${port}/child`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(seen, ['child onRequest POST /child', 'preHandler POST /child', 'handler POST /child {"a":1}']);
    assert.equal(await engine().waitForCount(0), 0);
  });

  it("a custom error handler still handles the app's errors; leakproof's reach it with statusCode 503 and a retry-after header", async () => {
    const dbs = open({ maxConnections: 1, acquireTimeout: 1000, retryAfter: 3000 });
    const app = Fastify({ logger: false });
    await app.register(leakproof, { databases: dbs });
    const handled: unknown[] = [];
    app.setErrorHandler(async (error, _request, reply) => {
      handled.push(error);
      if (error instanceof LeakproofError)
        return reply
          .code(error.statusCode)
          .headers(error.headers ?? {})
          .send({ mine: error.code });
      return reply.code(418).send({ mine: 'teapot' });
    });
    app.get('/hold', async () =>
      dbs
        .get()
        .query(engine().dialect.sleep(2))
        .then(() => 'held'),
    );
    app.get('/refused', async () =>
      dbs
        .get()
        .query('SELECT 1')
        .then(() => 'served'),
    );
    app.get('/own', async () => {
      throw new Error("the app's own");
    });
    const port = await start(app);
    const own = await httpGet(port, '/own');
    assert.deepEqual([own.status, JSON.parse(own.body)], [418, { mine: 'teapot' }]);
    const hold = httpGet(port, '/hold');
    assert.ok(await engine().statementRunning(/sleep/i), 'the holding request never started its statement');
    const refused = await httpGet(port, '/refused');
    assert.deepEqual([refused.status, refused.headers['retry-after'], JSON.parse(refused.body)], [503, '3', { mine: 'ACQUIRE_TIMEOUT' }]);
    assert.equal((await hold).status, 200);
    assert.equal(handled.length, 2);
  });

  it('a synchronous handler that answers later: its transactionPerRequest commits with the response, nothing leaks', async () => {
    const dbs = open({ transactionPerRequest: true });
    const app = Fastify({ logger: false });
    await app.register(leakproof, { databases: dbs });
    let scope: RequestScope | undefined;
    app.get('/later', (_request, reply) => {
      scope = currentScope();
      // No promise returned: the request ends when the reply has been sent.
      void dbs
        .get()
        .query(engine().dialect.inTransactionSql)
        .then(([row]) => reply.send({ tx: Number(row!['tx']) }));
    });
    const port = await start(app);
    const response = await httpGet(port, '/later');
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { tx: 1 }, 'the query did not run in the per-request transaction');
    assert.equal(await engine().waitForCount(0), 0);
    assert.equal(scope?.endReason, 'finished');
  });

  it('closes the databases in onClose, unless closeDatabases is false', async () => {
    const owned = open();
    const kept = open();
    for (const [dbs, closeDatabases] of [
      [owned, true],
      [kept, false],
    ] as const) {
      const app = Fastify({ logger: false });
      await app.register(leakproof, { databases: dbs, closeDatabases });
      app.get('/', async () => dbs.get().query('SELECT 1 AS one'));
      const port = await start(app);
      assert.equal((await httpGet(port, '/')).status, 200);
      await app.close();
    }
    const closed = await owned.run(() => owned.get().query('SELECT 1')).catch((error: unknown) => error);
    assert.ok(closed instanceof LeakproofError && closed.code === 'POOL_CLOSED', String(closed));
    const [row] = await kept.run(() => kept.get().query('SELECT 1 AS one'));
    assert.equal(Number(row!['one']), 1);
  });

  it("shutdownOnSignal(app.server, ...) with onClosed: () => app.close(): the request in flight ends as shutdown, then Fastify's onClose hooks run", async () => {
    const dbs = open({ cancelOnAbort: true });
    const app = Fastify({ logger: false });
    await app.register(leakproof, { databases: dbs });
    const closedHooks: string[] = [];
    app.addHook('onClose', async () => void closedHooks.push('app onClose'));
    let scope: RequestScope | undefined;
    app.get('/slow', async () => {
      scope = currentScope();
      return dbs.get().query(engine().dialect.sleep(10));
    });
    const port = await start(app);
    const signalled = shutdownOnSignal(app.server, dbs, {
      deadline: 200,
      closeGracePeriod: 500,
      exit: false,
      signals: ['SIGUSR2'],
      onClosed: () => app.close(),
    });
    const slow = httpGet(port, '/slow').catch((error: unknown) => error);
    assert.ok(await engine().statementRunning(/sleep/i));
    process.emit('SIGUSR2', 'SIGUSR2');
    const result = await signalled.done;
    assert.equal(result.aborted, 1);
    assert.ok((await slow) instanceof Error);
    assert.equal(scope?.endReason, 'shutdown');
    assert.deepEqual(closedHooks, ['app onClose']);
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('app.inject() (no socket, light-my-request) gets a scope too, ended and released as finished', async () => {
    const dbs = open();
    const app = Fastify({ logger: false });
    await app.register(leakproof, { databases: dbs });
    trackForCleanup(() => app.close());
    let scope: RequestScope | undefined;
    app.post('/inject', async (request) => {
      scope = currentScope();
      const [row] = await dbs.get().query('SELECT 1 AS one');
      return { one: Number(row!['one']), body: request.body };
    });
    const response = await app.inject({ method: 'POST', url: '/inject', payload: { a: 1 } });
    assert.deepEqual(response.json(), { one: 1, body: { a: 1 } });
    assert.equal(await engine().waitForCount(0), 0);
    assert.equal(scope?.label, 'POST /inject');
    assert.ok(await eventually(() => scope?.endReason === 'finished'), `the scope ended as ${scope?.endReason}`);
  });

  it('registering without databases fails with ADAPTER_MISUSED', async () => {
    const app = Fastify({ logger: false });
    trackForCleanup(() => app.close());
    await assert.rejects(
      async () => {
        await app.register(leakproof, {} as never);
        await app.ready();
      },
      (error: unknown) => error instanceof LeakproofError && error.code === 'ADAPTER_MISUSED',
    );
  });
});
