/**
 * What only Hono has: `onError` and `HTTPException`-style responses, sub-apps, and running
 * somewhere other than @hono/node-server. The end paths are in the shared end-path suite.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { it } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { currentScope, LeakproofError, type Databases, type RequestScope } from '../src/index.js';
import { leakproof } from '../src/adapters/hono.js';
import { httpGet } from './harness/faults.js';
import { listening } from './support/adapters.js';
import { forEachEngine } from './support/engines.js';

forEachEngine('leakproof/hono', ['postgres'], (engine) => {
  const open = (options: Record<string, unknown> = {}): Databases =>
    engine().databases({ default: { url: engine().url, maxLifetime: 0, ...options } });
  const serve = (app: Hono) => {
    const listener = getRequestListener(app.fetch);
    return listening(http.createServer((req, res) => void listener(req, res)));
  };

  it("an onError of the app's keeps handling its errors, and answers leakproof's with err.getResponse()", async () => {
    const dbs = open({ maxConnections: 1, acquireTimeout: 1000, retryAfter: 3000 });
    const app = new Hono();
    app.use(leakproof(dbs));
    app.onError((error, c) => {
      if (error instanceof LeakproofError || error instanceof HTTPException) return error.getResponse();
      return c.json({ mine: error.message }, 418);
    });
    app.get('/hold', async (c) => c.json(await dbs.get().query(engine().dialect.sleep(2))));
    app.get('/refused', async (c) => c.json(await dbs.get().query('SELECT 1')));
    app.get('/own', () => {
      throw new Error("the app's own");
    });
    const { port } = await serve(app);
    const own = await httpGet(port, '/own');
    assert.deepEqual([own.status, JSON.parse(own.body)], [418, { mine: "the app's own" }]);
    const hold = httpGet(port, '/hold');
    assert.ok(await engine().statementRunning(/sleep/i), 'the holding request never started its statement');
    const refused = await httpGet(port, '/refused');
    assert.deepEqual([refused.status, refused.headers['retry-after'], JSON.parse(refused.body).error], [503, '3', 'ACQUIRE_TIMEOUT']);
    assert.equal((await hold).status, 200);
  });

  it("a route of a mounted sub-app runs in the request's scope", async () => {
    const dbs = open();
    const api = new Hono();
    api.get('/polls', async (c) => {
      await dbs.get().query('SELECT 1');
      return c.text(currentScope()?.label ?? 'no scope');
    });
    const app = new Hono();
    app.use(leakproof(dbs));
    app.route('/api', api);
    const { port } = await serve(app);
    const response = await httpGet(port, '/api/polls');
    assert.deepEqual([response.status, response.body], [200, 'GET /api/polls']);
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('outside @hono/node-server (no c.env.incoming) the middleware fails with ADAPTER_MISUSED instead of running unscoped', async () => {
    const dbs = open();
    const app = new Hono();
    app.use(leakproof(dbs));
    app.get('/', (c) => c.text('unscoped'));
    const response = await app.request('/');
    assert.equal(response.status, 500);
    assert.equal(((await response.json()) as { error: string }).error, 'ADAPTER_MISUSED');
  });

  it("outsideNodeServer: 'scope' lets app.request() run the handlers in a scope of their own, ended when they settle", async () => {
    const dbs = open({ transactionPerRequest: true });
    const app = new Hono();
    app.use(leakproof(dbs, { outsideNodeServer: 'scope' }));
    let scope: RequestScope | undefined;
    app.get('/tx', async (c) => {
      scope = currentScope();
      const [row] = await dbs.get().query(engine().dialect.inTransactionSql);
      return c.json({ label: scope?.label, tx: Number(row!['tx']) });
    });
    const response = await app.request('/tx');
    assert.deepEqual(await response.json(), { label: 'GET /tx', tx: 1 });
    assert.equal(scope?.endReason, 'finished');
    assert.equal(await engine().waitForCount(0), 0);
  });
});
