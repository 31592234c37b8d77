/**
 * A network that stalls without closing a socket (issue 12: a black hole once wedged the pool
 * for good, 10 of 10 connections leased long after the load stopped). Every test runs the app
 * through a TCP proxy that stops forwarding, mid-query, mid-connect, before a health check and
 * inside a transaction; requests must end (answered, typed), the pool must give up on the
 * dead sessions within its timeouts, and it must serve again once the proxy forwards again,
 * with the server's own count back to the pool's idle connections.
 *
 * Times are printed as figures for docs/operations.md, never asserted: the bounds below only
 * tell a hang from an answer.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { AliasOptions, Databases } from '../src/index.js';
import { httpGet, type HttpResponse } from './harness/faults.js';
import { startStallProxy, type StallProxy } from './harness/stall-proxy.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import { eventually, serve, type Served } from './support/serve.js';

/** Longer than any bound the pool is configured with here: a request still unanswered then hangs. */
const HANG_MS = 15_000;

forEachEngine('a network that stalls without closing sockets', ['mariadb', 'postgres'], (engine) => {
  let proxy: StallProxy;
  before(async () => {
    const url = new URL(engine().url);
    proxy = await startStallProxy({ host: url.hostname, port: Number(url.port) });
  });
  after(() => proxy.close());

  function open(options: Partial<AliasOptions>): Databases {
    return engine().databases({
      default: { url: proxy.urlFor(engine().url), maxConnections: 4, acquireTimeout: 1500, connectTimeout: 2000, ...options },
    });
  }

  async function app(dbs: Databases, requestTimeout?: number): Promise<Served> {
    return serve(
      dbs,
      async (req, res) => {
        const db = dbs.get();
        if (req.url === '/slow') await db.query(engine().dialect.sleep(0.5));
        else if (req.url === '/tx') await db.transaction(async (tx) => tx.query(engine().dialect.sleep(0.5)));
        else await db.query('SELECT 1 AS one');
        res.end('ok');
      },
      { requestTimeout },
    );
  }

  it('black hole mid-query (statementTimeout set): every request is answered 503, the dead sessions are given up on, and the pool serves again after', async () => {
    proxy.resume();
    const dbs = open({ statementTimeout: 500 });
    const served = await app(dbs, 4000);
    const started = Date.now();
    const inFlight = Array.from({ length: 4 }, () => timed(served.port, '/slow'));
    assert.ok(await engine().statementRunning(/sleep/i, 4), 'the statements never started');
    proxy.stall('drop');
    const during = Array.from({ length: 4 }, () => timed(served.port, '/'));
    const answers = await Promise.all([...inFlight, ...during]);
    report('black hole mid-query', engine(), answers, started);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(8).fill(503),
      JSON.stringify(answers),
    );
    assert.ok(await eventually(() => settled(dbs), 10_000), `the pool kept dead sessions: ${JSON.stringify(dbs.stats())}`);
    assert.ok(dbs.stats().default!.abandoned >= 4, JSON.stringify(dbs.stats()));
    await recovers(dbs, served);
  });

  it('a stall mid-query without statementTimeout: requestTimeout answers, releaseTimeout frees the slots', async () => {
    proxy.resume();
    const dbs = open({ releaseTimeout: 1000 });
    const served = await app(dbs, 1500);
    const started = Date.now();
    const inFlight = Array.from({ length: 4 }, () => timed(served.port, '/slow'));
    assert.ok(await engine().statementRunning(/sleep/i, 4), 'the statements never started');
    proxy.stall('drop');
    const answers = await Promise.all(inFlight);
    report('stall mid-query, no statementTimeout', engine(), answers, started);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(4).fill(503),
      JSON.stringify(answers),
    );
    assert.ok(await eventually(() => settled(dbs), 10_000), `the pool kept dead sessions: ${JSON.stringify(dbs.stats())}`);
    assert.equal(dbs.stats().default!.abandoned, 4, JSON.stringify(dbs.stats()));
    await recovers(dbs, served);
  });

  it('a stall mid-connect: the request gets ACQUIRE_TIMEOUT, the attempt ends at connectTimeout, and the next connect after it works', async () => {
    proxy.resume();
    const dbs = open({});
    const served = await app(dbs);
    proxy.stall('pause');
    const started = Date.now();
    const answer = await timed(served.port, '/');
    report('stall mid-connect', engine(), [answer], started);
    assert.equal(answer.status, 503);
    assert.match(answer.body, /ACQUIRE_TIMEOUT/);
    assert.ok(await eventually(() => dbs.stats().default!.connecting === 0, 5000), JSON.stringify(dbs.stats()));
    await recovers(dbs, served);
  });

  it('a health check into a black hole: the request keeps its acquireTimeout, the dead connections are replaced after', async () => {
    proxy.resume();
    // Every reuse is checked; connectTimeout (which bounds the ping) is far past acquireTimeout.
    const dbs = open({ healthCheckAfter: 0, connectTimeout: 8000 });
    const served = await app(dbs);
    // Two requests that overlap, so two connections, both open and idle before the network
    // goes: on a loaded machine two quick ones were served by one, and a second connect still
    // in flight when the drop began made this another test (a stall mid-connect, covered above).
    assert.deepEqual(
      (await Promise.all([timed(served.port, '/slow'), timed(served.port, '/slow')])).map((a) => a.status),
      [200, 200],
    );
    assert.ok(
      await eventually(async () => dbs.stats().default!.idle === 2 && (await engine().count()) === 2, 5000),
      JSON.stringify(dbs.stats()),
    );
    proxy.stall('drop');
    const started = Date.now();
    const answer = await timed(served.port, '/');
    report('health check into a black hole', engine(), [answer], started);
    assert.equal(answer.status, 503);
    assert.match(answer.body, /ACQUIRE_TIMEOUT/);
    assert.ok(answer.ms < 8000, `the request waited for the ping's own bound (${answer.ms} ms), not its acquireTimeout`);
    await recovers(dbs, served);
    assert.ok(dbs.stats().default!.healthCheckFailures >= 1, JSON.stringify(dbs.stats()));
  });

  it('a black hole inside a transaction whose client leaves: the rollback on release is bounded, the connection closed', async () => {
    proxy.resume();
    const dbs = open({ releaseTimeout: 1000 });
    const served = await app(dbs, 1000);
    const answer = timed(served.port, '/tx');
    assert.ok(await engine().statementRunning(/sleep/i, 1), 'the transaction never started');
    proxy.stall('drop');
    assert.equal((await answer).status, 503);
    assert.ok(await eventually(() => settled(dbs), 10_000), `the pool kept the dead session: ${JSON.stringify(dbs.stats())}`);
    await recovers(dbs, served);
    const clean = await eventually(async () => (await engine().connections()).every((c) => !c.inTransaction), 5000);
    assert.ok(clean, `a session was left in a transaction: ${JSON.stringify(await engine().connections())}`);
  });

  /** After the proxy forwards again: a request succeeds, and the server holds only the pool's idle sessions. */
  async function recovers(dbs: Databases, served: Served): Promise<void> {
    proxy.resume();
    const resumed = Date.now();
    const ok = await eventually(async () => (await timed(served.port, '/')).status === 200, 10_000);
    console.log(`# ${engine().name}: first success ${Date.now() - resumed} ms after the network came back`);
    assert.ok(ok, `no success after the network came back: ${JSON.stringify(dbs.stats())}`);
    const matched = await eventually(async () => (await engine().count()) === dbs.stats().default!.idle, 10_000);
    assert.ok(
      matched,
      `${engine().name}: the server holds ${JSON.stringify(await engine().connections())}, the pool ${JSON.stringify(dbs.stats())}, the proxy ${proxy.connections} links`,
    );
  }
});

interface Answer extends Pick<HttpResponse, 'status' | 'body'> {
  readonly ms: number;
}

async function timed(port: number, path: string): Promise<Answer> {
  const started = Date.now();
  const response = await httpGet(port, path, { timeoutMs: HANG_MS });
  return { status: response.status, body: response.body, ms: Date.now() - started };
}

function settled(dbs: Databases): boolean {
  const stats = dbs.stats().default!;
  return stats.inUse === 0 && stats.connecting === 0;
}

function report(what: string, engine: EngineContext, answers: readonly Answer[], started: number): void {
  const slowest = Math.max(...answers.map((a) => a.ms));
  console.log(`# ${engine.name}: ${what}: ${answers.length} answered, slowest ${slowest} ms, all within ${Date.now() - started} ms`);
}
