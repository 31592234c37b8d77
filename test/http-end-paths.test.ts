/**
 * I1 on node:http: every way a request can end releases its connection, checked with the
 * database's own count of connections (information_schema.PROCESSLIST / pg_stat_activity).
 * maxLifetime 0 closes a connection on release, so "released" shows as the server's count
 * returning to 0.
 */
import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { createDatabases, currentScope, LeakproofError, type Databases } from '../src/index.js';
import { abortingRequest, httpGet, pipelinedRequests, postWithAbortedBody } from './harness/faults.js';
import { forEachEngine } from './support/engines.js';
import { delay, eventually, serve, type Served } from './support/serve.js';

forEachEngine('request end paths (node:http)', ['mariadb', 'postgres'], (engine) => {
  let dbs: Databases | undefined;
  let served: Served | undefined;

  afterEach(async () => {
    await served?.close();
    await dbs?.close();
    served = dbs = undefined;
    assert.equal(await engine().waitForCount(0), 0, 'the server still counts connections after close()');
  });

  function open(options: Record<string, unknown> = {}): Databases {
    dbs = createDatabases({ default: { url: engine().url, maxLifetime: 0, ...options } });
    return dbs;
  }

  /** Resolves once the server shows a statement matching `pattern` running for this app. */
  async function statementRunning(pattern: RegExp): Promise<void> {
    const seen = await eventually(async () => (await engine().connections()).some((c) => pattern.test(c.query ?? '')), 5000);
    assert.ok(seen, `the server never showed a statement matching ${pattern}`);
  }

  it('finish: released after the response is sent', async () => {
    const db = open().get();
    served = await serve(dbs!, async (_req, res) => {
      const rows = await db.query('SELECT 1 AS one');
      res.end(JSON.stringify(rows));
    });
    const response = await httpGet(served.port, '/');
    assert.equal(response.status, 200);
    assert.equal(await engine().waitForCount(0), 0);
    // The server may drop the session a moment before the driver reports the close.
    assert.ok(await eventually(() => dbs!.stats().default!.open === 0));
    const stats = dbs!.stats().default!;
    assert.deepEqual([stats.acquired, stats.released, stats.created, stats.closed], [1, 1, 1, 1]);
  });

  it('throw: released after the handler rejects, and the client gets a 500', async () => {
    const db = open().get();
    served = await serve(dbs!, async () => {
      await db.query('SELECT 1 AS one');
      throw new Error('handler failed');
    });
    const response = await httpGet(served.port, '/');
    assert.equal(response.status, 500);
    assert.equal(await engine().waitForCount(0), 0);
    assert.equal(dbs!.stats().default!.released, 1);
  });

  it('client disconnects while a query runs: released once the statement ends; later queries fail with REQUEST_ENDED', async () => {
    const db = open().get();
    const outcome: { aborted?: boolean; next?: unknown } = {};
    served = await serve(dbs!, async (_req, res) => {
      const signal = currentScope()!.signal;
      await db.query(engine().dialect.sleep(1));
      outcome.aborted = signal.aborted;
      outcome.next = await db.query('SELECT 1').catch((error: unknown) => error);
      res.end('late');
    });
    const request = abortingRequest({ port: served.port, method: 'GET', path: '/sleep', abortWhen: () => statementRunning(/sleep/i) });
    await request;
    assert.equal(await engine().count(), 1, 'the statement is still running on the server');
    assert.equal(await engine().waitForCount(0, 5000), 0);
    assert.ok(await eventually(() => outcome.next !== undefined));
    assert.equal(outcome.aborted, true);
    assert.ok(outcome.next instanceof LeakproofError && outcome.next.code === 'REQUEST_ENDED', String(outcome.next));
  });

  it('client disconnects with cancelOnAbort: the statement is cancelled on the server', async () => {
    const db = open({ cancelOnAbort: true }).get();
    served = await serve(dbs!, async (_req, res) => {
      await db.query(engine().dialect.sleep(5)).catch(() => undefined);
      res.end('late');
    });
    await abortingRequest({ port: served.port, method: 'GET', path: '/sleep', abortWhen: () => statementRunning(/sleep/i) });
    const gone = await eventually(async () => !(await engine().connections()).some((c) => /sleep/i.test(c.query ?? '')), 2000);
    assert.ok(gone, 'the sleeping statement was still on the server 2 s after the client left (it runs 5 s)');
    assert.equal(await engine().waitForCount(0), 0);
    assert.equal(dbs!.stats().default!.cancels, 1);
  });

  it('POST whose body is cut off: released', async () => {
    const db = open().get();
    served = await serve(dbs!, async (req, res) => {
      await db.query('SELECT 1 AS one');
      for await (const _chunk of req) { /* read the body that never completes */ }
      res.end('ok');
    });
    await postWithAbortedBody({ port: served.port, path: '/upload', declaredLength: 1_000_000, sentBytes: 1000, abortAfterMs: 300 });
    assert.equal(await engine().waitForCount(0, 5000), 0);
    assert.ok(await eventually(() => dbs!.stats().default!.released === 1));
  });

  it('two pipelined requests on a socket that dies while the first is pending: both released', async () => {
    // The second response never gets a socket, so it never emits close: only the socket does.
    const db = open().get();
    served = await serve(dbs!, async (req, res) => {
      for await (const _chunk of req) { /* drain the JSON body */ }
      await db.query(engine().dialect.sleep(0.3));
      res.end('ok');
    });
    const body = JSON.stringify({ vote: 1 });
    const post = (path: string) => ({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body });
    await pipelinedRequests({
      port: served.port,
      requests: [post('/p1'), post('/p2')],
      abortWhen: () => eventually(() => dbs!.stats().default!.acquired === 2, 5000),
    });
    assert.equal(dbs!.stats().default!.acquired, 2, 'the second pipelined request never reached its handler');
    assert.ok(await eventually(() => dbs!.stats().default!.released === 2, 5000), `released ${dbs!.stats().default!.released} of 2`);
    assert.equal(await engine().waitForCount(0, 5000), 0);
  });

  it('request timeout: the scope ends as timeout, the client gets a 503, the connection is released', async () => {
    const db = open().get();
    let reason: string | undefined;
    served = await serve(dbs!, async (_req, res) => {
      const scope = currentScope()!;
      await db.query(engine().dialect.sleep(1));
      reason = scope.endReason;
      res.end('too late');
    }, { requestTimeout: 200 });
    const response = await httpGet(served.port, '/slow');
    assert.equal(response.status, 503);
    assert.equal(response.headers['retry-after'], '1');
    assert.equal(await engine().waitForCount(0, 5000), 0);
    assert.ok(await eventually(() => reason !== undefined));
    assert.equal(reason, 'timeout');
  });

  it('server shutdown with a request in flight: released, then close() leaves nothing', async () => {
    const db = open().get();
    served = await serve(dbs!, async (_req, res) => {
      await db.query(engine().dialect.sleep(1));
      res.end('done');
    });
    const pending = httpGet(served.port, '/').catch((error: unknown) => error);
    await statementRunning(/sleep/i);
    await served.close();
    served = undefined;
    assert.ok((await pending) instanceof Error, 'the client saw its connection cut');
    await dbs!.close();
    assert.equal(await engine().waitForCount(0, 5000), 0);
    const closed = await dbs!.get().query('SELECT 1').catch((error: unknown) => error);
    assert.ok(closed instanceof LeakproofError && closed.code === 'POOL_CLOSED', String(closed));
  });

  it('many requests, a third of them aborted mid-query: the server count returns to 0', async () => {
    const db = open({ maxConnections: 5 }).get();
    served = await serve(dbs!, async (_req, res) => {
      await db.query(engine().dialect.sleep(0.2));
      res.end('ok');
    });
    const port = served.port;
    const jobs = Array.from({ length: 30 }, (_, i) => i % 3 === 0
      ? abortingRequest({ port, method: 'GET', path: `/a${i}`, abortAfterMs: 50 + (i % 7) * 20 })
      : httpGet(port, `/r${i}`).then((r) => assert.equal(r.status, 200)));
    await Promise.all(jobs);
    await delay(50);
    assert.equal(await engine().waitForCount(0, 5000), 0);
    const stats = dbs!.stats().default!;
    assert.equal(stats.acquired, stats.released);
    assert.equal(stats.open, 0);
  });
});
