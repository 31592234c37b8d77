/**
 * What only Express has: the middleware chain and routers below `leakproof()`, its error
 * middleware, and the rule that settles a per-request transaction when the response
 * finishes (rolled back at status 500 and above). The end paths are in
 * the shared end-path suite (test/support/adapter-end-path-suite.ts).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { before, it } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import { currentScope, LeakproofError, type Databases } from '../src/index.js';
import { leakproof, leakproofErrorHandler } from '../src/adapters/express.js';
import { Readable } from 'node:stream';
import { httpGet } from './harness/faults.js';
import { listening } from './support/adapters.js';
import { forEachEngine } from './support/engines.js';
import { eventually } from './support/serve.js';
import { readThenHangUp, slowAfterSql } from './support/streaming.js';

forEachEngine('leakproof/express', ['postgres'], (engine) => {
  const table = `express_rows_${process.pid}`;
  const open = (options: Record<string, unknown> = {}): Databases =>
    engine().databases({ default: { url: engine().url, maxLifetime: 0, ...options } });

  before(async () => {
    const dbs = open();
    await dbs.run(async () => {
      await dbs.get().execute(`DROP TABLE IF EXISTS ${table}`);
      await dbs.get().execute(engine().dialect.createTable(table));
    });
    await dbs.close();
  });

  it("the whole chain below leakproof() runs in the request's scope: body parser, async middleware, a router", async () => {
    const dbs = open();
    const seen: (string | undefined)[] = [];
    const app = express();
    app.use(leakproof(dbs));
    app.use(express.json());
    app.use(async (_req, _res, next) => {
      await dbs.get().query('SELECT 1');
      seen.push(`middleware ${currentScope()?.label}`);
      next();
    });
    const router = express.Router();
    router.post('/vote', async (req, res) => {
      await dbs.get().query('SELECT 2');
      seen.push(`router ${currentScope()?.label} ${JSON.stringify(req.body)}`);
      res.json({ ok: true });
    });
    app.use('/api', router);
    const { port } = await listening(http.createServer(app));
    const response = await fetch(`http://127.0.0.1:${port}/api/vote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"choice":2}',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(seen, ['middleware POST /api/vote', 'router POST /api/vote {"choice":2}']);
    assert.equal(dbs.stats().default!.acquired, 1, 'the two queries of one request used two connections');
    assert.equal(await engine().waitForCount(0), 0);
  });

  it("leakproofErrorHandler answers leakproof's 503s as JSON with Retry-After and passes the app's errors on", async () => {
    const dbs = open({ maxConnections: 1, acquireTimeout: 1000, retryAfter: 3000 });
    const app = express();
    app.use(leakproof(dbs));
    app.get('/hold', async (_req, res) => void res.send(await dbs.get().query(engine().dialect.sleep(2))));
    app.get('/refused', async (_req, res) => void res.send(await dbs.get().query('SELECT 1')));
    app.get('/own', () => {
      throw new Error("the app's own");
    });
    app.use(leakproofErrorHandler());
    const mine: ErrorRequestHandler = (error, _req, res, _next) => void res.status(418).json({ mine: String(error) });
    app.use(mine);
    const { port } = await listening(http.createServer(app));
    const own = await httpGet(port, '/own');
    assert.deepEqual([own.status, JSON.parse(own.body)], [418, { mine: "Error: the app's own" }]);
    const hold = httpGet(port, '/hold');
    assert.ok(await engine().statementRunning(/sleep/i), 'the holding request never started its statement');
    const refused = await httpGet(port, '/refused');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '3');
    assert.equal(JSON.parse(refused.body).error, 'ACQUIRE_TIMEOUT');
    assert.equal((await hold).status, 200);
  });

  it("without an error handler of the app's, Express's own answers leakproof's errors 503 with Retry-After", async () => {
    const dbs = open({ maxConnections: 1, acquireTimeout: 1000, retryAfter: 3000 });
    const app = express();
    app.set('env', 'production');
    app.use(leakproof(dbs));
    app.get('/hold', async (_req, res) => void res.send(await dbs.get().query(engine().dialect.sleep(2))));
    app.get('/refused', async (_req, res) => void res.send(await dbs.get().query('SELECT 1')));
    const { port } = await listening(http.createServer(app));
    const hold = httpGet(port, '/hold');
    assert.ok(await engine().statementRunning(/sleep/i), 'the holding request never started its statement');
    const refused = await httpGet(port, '/refused');
    assert.deepEqual([refused.status, refused.headers['retry-after']], [503, '3']);
    assert.match(refused.body, /Service Unavailable/);
    assert.equal((await hold).status, 200);
  });

  it("transactionPerRequest settles with the response: a 2xx/3xx answer commits, a 4xx or a 5xx from the app's error handler rolls back", async () => {
    const dbs = open({ transactionPerRequest: true });
    const app = express();
    app.use(leakproof(dbs));
    app.get('/:label/:status', async (req, res) => {
      await dbs.get().execute(`INSERT INTO ${table} (label) VALUES (${engine().dialect.param(1)})`, [req.params['label']]);
      if (req.params['status'] === 'throw') throw new Error('handler failed');
      res.status(Number(req.params['status'])).send('answered');
    });
    app.use(((_error, _req, res, _next) => void res.status(502).send('bad gateway')) as ErrorRequestHandler);
    const { port } = await listening(http.createServer(app));
    const statuses = [];
    for (const path of ['/ok/200', '/moved/301', '/missing/404', '/thrown/throw', '/failed/500'])
      statuses.push((await httpGet(port, path)).status);
    assert.deepEqual(statuses, [200, 301, 404, 502, 500]);
    assert.equal(await engine().waitForCount(0), 0);
    const rows = await dbs.run(() => dbs.get().query(`SELECT label FROM ${table} ORDER BY id`));
    assert.deepEqual(
      rows.map((row) => row['label']),
      ['ok', 'moved'],
    );
    await dbs.run(() => dbs.get().execute(`DROP TABLE ${table}`));
  });

  it('a db.stream() piped into res (.pipe) whose client leaves mid-stream: no crash from the source error, released', async () => {
    const dbs = open();
    const app = express();
    app.use(leakproof(dbs));
    app.get('/piped', (_req, res) => {
      // Slow rows keep a read pending when the client leaves: that read rejects with REQUEST_ENDED.
      async function* lines(): AsyncGenerator<string> {
        for await (const row of dbs.get().stream(slowAfterSql('postgres', 3, 0.2), [], { batchSize: 1 })) yield `${String(row['n'])}\n`;
      }
      Readable.from(lines()).pipe(res);
    });
    const { port } = await listening(http.createServer(app));
    await readThenHangUp(port, '/piped', 4);
    assert.equal(await engine().waitForCount(0, 10_000), 0);
    assert.ok(await eventually(() => dbs.stats().default!.released === 1, 10_000), 'the connection was not released');
  });

  it("leakproofErrorHandler leaves an error that is not leakproof's alone, and answers a 500 of leakproof's without its detail", async () => {
    const error = new Error('not ours');
    let passed: unknown;
    leakproofErrorHandler({ logger: false })(error, {} as never, { headersSent: false } as never, (next?: unknown) => (passed = next));
    assert.equal(passed, error);
    const sent: unknown[] = [];
    const res = { headersSent: false, status: (s: number) => (sent.push(s), res), set: () => res, send: (b: string) => sent.push(b) };
    leakproofErrorHandler({ logger: false })(
      new LeakproofError('UNKNOWN_ALIAS', 'no database alias "x" (configured: default)'),
      { method: 'GET', url: '/' } as never,
      res as never,
      () => assert.fail('passed on'),
    );
    assert.equal(sent[0], 500);
    assert.doesNotMatch(String(sent[1]), /configured|alias "x"/);
    assert.match(String(sent[1]), /"error":"UNKNOWN_ALIAS"/);
  });
});
