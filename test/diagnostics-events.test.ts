/**
 * The diagnostics_channel events (leakproof/diagnostics): each state change of a pool is
 * published with the alias, the server's own id of the connection (checked against the
 * server's session list), the wait, and the pool's condition; closes say why; the budget's
 * refusals and failed connects are published too.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LeakproofError } from '../src/index.js';
import { forEachEngine } from './support/engines.js';
import { recordEvents } from './support/record-events.js';
import { eventually } from './support/serve.js';

forEachEngine('diagnostics_channel events', ['mariadb', 'postgres'], (engine) => {
  const serverIdOf = async (run: () => Promise<Record<string, unknown>[]>): Promise<number> => Number((await run())[0]!.id);

  it("connect, acquire and release name the alias, the server id, the wait and the pool's condition", async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 2 } });
    const events = recordEvents(dbs);
    const db = dbs.get();
    const started = performance.now();
    const id = await serverIdOf(() => dbs.run(() => db.query(engine().dialect.serverIdSql)));
    await dbs.run(() => db.query('SELECT 1 AS one'));
    const elapsed = performance.now() - started;
    assert.deepEqual(
      events.all.map((entry) => entry.kind),
      ['connect', 'acquire', 'release', 'acquire', 'release'],
    );
    assert.deepEqual(
      (await engine().connections()).map((c) => c.id),
      [id],
    );

    const [connect] = events.of('connect');
    assert.equal(connect!.alias, 'default');
    assert.equal(connect!.serverId, id);
    assert.ok(connect!.durationMs > 0 && connect!.durationMs <= elapsed, `durationMs ${connect!.durationMs}`);
    const [first, second] = events.of('acquire');
    assert.equal(first!.serverId, id);
    // It waited while its connection was opened: at least as long as the connect took.
    assert.ok(
      (first!.waitMs ?? -1) >= connect!.durationMs && (first!.waitMs ?? Infinity) <= elapsed,
      `the first request's waitMs ${first!.waitMs}, connect ${connect!.durationMs}`,
    );
    assert.equal(second!.waitMs, 0, 'the second took the idle connection at once');
    assert.deepEqual(second!.pool, { open: 1, maxConnections: 2, inUse: 1, idle: 0, connecting: 0, waiting: 0 });
    for (const release of events.of('release')) {
      assert.equal(release.serverId, id);
      assert.ok(release.heldMs !== undefined && release.heldMs > 0 && release.heldMs <= elapsed, `heldMs ${release.heldMs}`);
      assert.deepEqual([release.rollback, release.discard], [false, false]);
    }
  });

  it('a release that finds a transaction open says it rolls back; dbs.close() closes with reason shutdown', async () => {
    const dbs = engine().databases({ default: engine().url });
    const events = recordEvents(dbs);
    await dbs.run(() => dbs.get().query('BEGIN'));
    assert.equal(events.of('release')[0]!.rollback, true);
    assert.equal(dbs.stats().default!.rollbacks, 1);
    await dbs.close();
    const [close] = events.of('close');
    assert.equal(close!.reason, 'shutdown');
    assert.equal(close!.serverId, events.of('connect')[0]!.serverId);
    assert.deepEqual(close!.pool, { open: 0, maxConnections: 10, inUse: 0, idle: 0, connecting: 0, waiting: 0 });
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('close reason lifetime: maxLifetime 0 closes the connection when its request ends', async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
    const events = recordEvents(dbs);
    await dbs.run(() => dbs.get().query('SELECT 1 AS one'));
    assert.ok(await eventually(() => events.of('close').length === 1));
    assert.equal(events.of('close')[0]!.reason, 'lifetime');
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('close reason idle: an idle connection is closed after idleTimeout', async () => {
    const dbs = engine().databases({ default: { url: engine().url, idleTimeout: 100 } });
    const events = recordEvents(dbs);
    await dbs.run(() => dbs.get().query('SELECT 1 AS one'));
    assert.ok(await eventually(() => events.of('close').length === 1), 'the idle connection was not reaped');
    assert.equal(events.of('close')[0]!.reason, 'idle');
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('close reason broken: an idle connection killed on the server', async () => {
    const dbs = engine().databases({ default: engine().url });
    const events = recordEvents(dbs);
    const id = await serverIdOf(() => dbs.run(() => dbs.get().query(engine().dialect.serverIdSql)));
    await engine().kill(id);
    assert.ok(await eventually(() => events.of('close').length === 1), 'the dead connection was not closed');
    assert.deepEqual([events.of('close')[0]!.reason, events.of('close')[0]!.serverId], ['broken', id]);
    assert.equal(dbs.stats().default!.lost, 1);
  });

  it('an aborted request whose statement was cancelled keeps its connection: released without discard, nothing closed', async () => {
    const dbs = engine().databases({ default: { url: engine().url, cancelOnAbort: true } });
    const events = recordEvents(dbs);
    const scope = dbs.createScope({ request: { method: 'GET', path: '/slow' } });
    const slow = scope.run(() => dbs.get().query(engine().dialect.sleep(5))).catch((error: unknown) => error);
    assert.ok(await eventually(() => events.of('acquire').length === 1));
    await scope.end('aborted');
    await slow;
    assert.deepEqual(
      events.of('release').map((r) => r.discard),
      [false],
    );
    assert.deepEqual(
      events.of('close').map((c) => c.reason),
      [],
    );
    assert.equal(dbs.stats().default!.cancels, 1);
    // MySQL's KILL QUERY ran on a second connection of the pool: both are idle, both on the server.
    assert.equal(await engine().waitForCount(dbs.stats().default!.idle), dbs.stats().default!.idle);
  });

  it("ACQUIRE_TIMEOUT and QUEUE_FULL are published on the timeout channel with the pool's condition", async () => {
    // acquireTimeout leaves room for the first connect on a busy machine.
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 1, maxWaiting: 1, acquireTimeout: 1000 } });
    const events = recordEvents(dbs);
    const db = dbs.get();
    const holder = dbs.createScope({ request: { method: 'GET', path: '/hold' } });
    await holder.run(() => db.query('SELECT 1 AS one'));
    const waiting = dbs.run(() => db.query('SELECT 1 AS one')).catch((error: unknown) => error);
    const turnedAway = await dbs.run(() => db.query('SELECT 1 AS one')).catch((error: unknown) => error);
    assert.ok(await eventually(() => dbs.stats().default!.timeouts === 1));
    const timedOut = await waiting;
    await holder.end('finished');

    assert.ok(turnedAway instanceof LeakproofError && turnedAway.code === 'QUEUE_FULL');
    assert.ok(timedOut instanceof LeakproofError && timedOut.code === 'ACQUIRE_TIMEOUT');
    const [full, timeout] = events.of('timeout');
    assert.deepEqual([full!.code, full!.waitMs, full!.error], ['QUEUE_FULL', 0, turnedAway]);
    assert.deepEqual(full!.pool, { open: 1, maxConnections: 1, inUse: 1, idle: 0, connecting: 0, waiting: 1 });
    assert.deepEqual([timeout!.code, timeout!.waitMs, timeout!.error], ['ACQUIRE_TIMEOUT', 1000, timedOut]);
    assert.deepEqual(timeout!.pool, { open: 1, maxConnections: 1, inUse: 1, idle: 0, connecting: 0, waiting: 0 });
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.timeouts, stats.queueFull], [1, 1]);
  });

  it('a connect that fails is published on the error channel as CONNECTION_FAILED, the URL masked', async () => {
    const url = new URL(engine().url);
    url.port = '1';
    const dbs = engine().databases({ default: { url: url.toString(), connectTimeout: 2000 } });
    const events = recordEvents(dbs);
    const error = await dbs.run(() => dbs.get().query('SELECT 1 AS one')).catch((e: unknown) => e);
    const [published] = events.of('error');
    assert.equal(published!.code, 'CONNECTION_FAILED');
    assert.equal(published!.error, error);
    assert.match(published!.error.message, /:\*\*\*@/);
    assert.equal(published!.pool.open, 0);
  });

  it("the database's own refusal is published on the error channel as DATABASE_REFUSED", async () => {
    const server = await engine().startDedicated({ maxConnections: 2 });
    try {
      // A refusal keeps the request waiting (the fleet is full, not the request's fault); past acquireTimeout it gets the refusal.
      const dbs = engine().databases({ default: { url: server.url, maxConnections: 3, acquireTimeout: 1000 } });
      const events = recordEvents(dbs);
      const db = dbs.get();
      const holders = [dbs.createScope(), dbs.createScope()];
      for (const holder of holders) await holder.run(() => db.query('SELECT 1 AS one'));
      const refused = await dbs.run(() => db.query('SELECT 1 AS one')).catch((e: unknown) => e);
      assert.ok(refused instanceof LeakproofError && refused.code === 'DATABASE_REFUSED', String(refused));
      // Every refused attempt is published (they back off while the request waits); it ends with the last.
      const published = events.of('error');
      assert.ok(
        published.length >= 1 && published.every((event) => event.code === 'DATABASE_REFUSED'),
        JSON.stringify(published.map((e) => e.code)),
      );
      assert.equal(published.at(-1)!.error, refused);
      assert.equal(published.at(-1)!.pool.maxConnections, 3);
      assert.equal(dbs.stats().default!.refusals, published.length);
      await Promise.all(holders.map((holder) => holder.end('finished')));
      await dbs.close();
      assert.equal(await engine().waitForCountOn(server, 0), 0);
    } finally {
      await server.stop();
    }
  });
});
