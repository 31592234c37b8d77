/**
 * Scopes and leases (I4, I5): one connection per alias per request, concurrent queries in a
 * request serialised on it, separate requests never sharing one, leasing outside a scope,
 * strict mode, and release exactly once.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { currentScope, LeakproofError } from '../src/index.js';
import { Pool } from '../src/core/pool.js';
import { forEachEngine } from './support/engines.js';

forEachEngine('scopes and leases', ['mariadb', 'postgres', 'sqlite'], (engine) => {
  it('one connection per request: concurrent queries in a scope share it, one at a time', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const db = dbs.get();
    const ids = await dbs.run(async () => {
      const rows = await Promise.all(Array.from({ length: 8 }, () => db.query(engine().dialect.serverIdSql)));
      return new Set(rows.map(([row]) => Number(row!.id)));
    });
    assert.equal(ids.size, 1);
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.created, stats.acquired, stats.released, stats.inUse, stats.idle], [1, 1, 1, 0, 1]);
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('concurrent requests never share a connection', async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 4 } });
    const db = dbs.get();
    let inside = 0;
    let release!: () => void;
    const allInside = new Promise<void>((resolve) => (release = resolve));
    const ids = await Promise.all(
      Array.from({ length: 4 }, () =>
        dbs.run(async () => {
          const [row] = await db.query(engine().dialect.serverIdSql);
          if (++inside === 4) release();
          await allInside; // every scope holds its connection at the same time
          return Number(row!.id);
        }),
      ),
    );
    if (engine().name !== 'sqlite') assert.equal(new Set(ids).size, 4);
    assert.equal(dbs.stats().default!.created, 4);
    await dbs.close();
  });

  it('outside a scope a call leases for itself alone; strict makes it NO_SCOPE', async () => {
    const dbs = engine().databases({ default: { url: engine().url }, locked: { url: engine().url, strict: true } });
    assert.equal(currentScope(), undefined);
    const [row] = await dbs.get().query('SELECT 1 AS one');
    assert.equal(Number(row!.one), 1);
    assert.deepEqual([dbs.stats().default!.acquired, dbs.stats().default!.released], [1, 1]);
    const error = await dbs
      .get('locked')
      .query('SELECT 1')
      .catch((e: unknown) => e);
    assert.ok(error instanceof LeakproofError && error.code === 'NO_SCOPE', String(error));
    assert.equal(dbs.stats().locked!.created, 0);
    const [inside] = await dbs.run(() => dbs.get('locked').query('SELECT 2 AS two'));
    assert.equal(Number(inside!.two), 2);
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('dbs.run releases when the body throws, and exposes a scope whose signal stays quiet on a normal end', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    let signal: AbortSignal | undefined;
    await assert.rejects(
      dbs.run(async () => {
        await dbs.get().query('SELECT 1');
        throw new Error('job failed');
      }),
      /job failed/,
    );
    await dbs.run(async () => {
      signal = currentScope()!.signal;
      await dbs.get().query('SELECT 1');
    });
    assert.equal(signal!.aborted, false);
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.acquired, stats.released, stats.inUse], [2, 2, 0]);
    await dbs.close();
  });

  it('a query after its scope has ended fails with REQUEST_ENDED and opens nothing', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const scope = dbs.createScope();
    await scope.run(() => dbs.get().query('SELECT 1'));
    await scope.end('aborted');
    assert.equal(scope.signal.aborted, true);
    const error = await scope.run(() => dbs.get().query('SELECT 1')).catch((e: unknown) => e);
    assert.ok(error instanceof LeakproofError && error.code === 'REQUEST_ENDED', String(error));
    assert.equal(dbs.stats().default!.acquired, 1);
    // A database first touched after the end: a rejected promise, not a synchronous throw.
    const other = engine().databases({ default: { url: engine().url } });
    const pending = scope.run(() => other.get().execute('SELECT 1'));
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending, (e: unknown) => e instanceof LeakproofError && e.code === 'REQUEST_ENDED');
    assert.equal(other.stats().default!.created, 0);
    await dbs.close();
  });

  it('a second release of the same lease throws RELEASED_TWICE (outside production) and is counted', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const pool = new Pool(dbs.options(), dbs);
    const waiter = pool.acquire();
    const connection = await waiter.promise;
    await pool.release(connection, waiter);
    await assert.rejects(pool.release(connection, waiter), (e: unknown) => e instanceof LeakproofError && e.code === 'RELEASED_TWICE');
    assert.equal(pool.stats().doubleReleases, 1);
    assert.equal(pool.stats().released, 1);
    await pool.close();
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });
});
