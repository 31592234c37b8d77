/**
 * Health: a connection killed on the server while idle is replaced transparently, even when the
 * next query races the kill; one killed mid-query fails that request alone; a statement error
 * that names the protocol keeps its connection. Server crashes and restarts under load are in
 * faults-restart.test.ts.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LeakproofError } from '../src/index.js';
import { adminQuery } from './harness/admin-client.js';
import { httpGet } from './harness/faults.js';
import { sharedServer } from './harness/shared-server.js';
import { forEachEngine } from './support/engines.js';
import { delay, eventually, serve } from './support/serve.js';

forEachEngine('connection health', ['mariadb', 'postgres'], (engine) => {
  it('an idle connection killed on the server is replaced transparently on the next request', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const db = dbs.get();
    const ids: number[] = [];
    const served = await serve(dbs, async (_req, res) => {
      const [row] = await db.query(engine().dialect.serverIdSql);
      ids.push(Number(row!.id));
      res.end('ok');
    });
    assert.equal((await httpGet(served.port, '/1')).status, 200);
    await engine().kill(ids[0]!);
    assert.equal(await engine().waitForCount(0), 0, 'the kill did not take');
    await delay(600); // past healthCheckAfter, so either the close event or the ping finds it dead
    assert.equal((await httpGet(served.port, '/2')).status, 200);
    assert.notEqual(ids[1], ids[0]);
    const stats = dbs.stats().default!;
    assert.equal(stats.lost + stats.healthCheckFailures, 1, JSON.stringify(stats));
    assert.equal(await engine().count(), 1);
    await served.close();
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('an idle connection killed on the server just before a query: the query is served all the same (a first statement goes again, once, on another connection)', async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 1 } });
    const db = dbs.get();
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      const [row] = await dbs.run(() => db.query(engine().dialect.serverIdSql));
      // Killed without waiting for the session to go, and the next query sent in the same turn:
      // the pool cannot have heard of the death yet, so it hands the dead connection out.
      await killNoWait(engine().name, Number(row!['id']));
      outcomes.push(
        await dbs
          .run(() => db.query('SELECT 1 AS one'))
          .then(
            () => 'ok',
            (error: unknown) => (error as { code?: string }).code ?? String(error),
          ),
      );
    }
    assert.deepEqual(outcomes, Array(20).fill('ok'));
    const stats = dbs.stats().default!;
    console.log(
      `# ${engine().name}: 20 queries right after their idle connection was killed: all served; ${stats.created} connections opened, ${stats.lost} noticed lost`,
    );
    assert.equal(await engine().waitForCount(1), 1);
  });

  it('a statement on a connection killed mid-query fails with CONNECTION_FAILED and the connection is discarded', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const db = dbs.get();
    const failure = dbs.run(() => db.query(engine().dialect.sleep(3))).catch((error: unknown) => error);
    assert.ok(await eventually(async () => (await engine().connections()).some((c) => /sleep/i.test(c.query ?? ''))));
    const [victim] = await engine().connections();
    await engine().kill(victim!.id);
    const error = await failure;
    assert.ok(error instanceof LeakproofError && error.code === 'CONNECTION_FAILED', String(error));
    assert.equal(error.httpStatus, 503);
    assert.equal(dbs.stats().default!.open, 0);
    const [row] = await dbs.run(() => db.query('SELECT 1 AS one'));
    assert.equal(Number(row!.one), 1);
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });
});

forEachEngine('a statement error that names the protocol', ['postgres'], (engine) => {
  it('a wrong parameter count (08P01, an ERROR) fails that statement only: the connection is kept, not counted as lost', async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 1 } });
    const db = dbs.get();
    const outcome = await dbs.run(async () => {
      const [before] = await db.query(engine().dialect.serverIdSql);
      const error = await db.query('SELECT $1::int + $2::int AS sum', [1]).catch((e: unknown) => e);
      const [after] = await db.query(engine().dialect.serverIdSql);
      return { error, same: Number(before!['id']) === Number(after!['id']) };
    });
    assert.equal((outcome.error as { code?: string }).code, '08P01', String(outcome.error));
    assert.equal(outcome.same, true, 'the healthy connection was replaced');
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.lost, stats.discarded], [0, 0], JSON.stringify(stats));
  });
});

/** KILL CONNECTION / pg_terminate_backend without waiting for the session to end. */
async function killNoWait(engine: string, id: number): Promise<void> {
  const target = (await sharedServer(engine === 'mariadb' ? 'mariadb' : 'postgres'))!;
  if (engine === 'mariadb') await adminQuery(target, `KILL CONNECTION ${id}`);
  else await adminQuery(target, 'SELECT pg_terminate_backend($1)', [id]);
}
