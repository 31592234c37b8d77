/**
 * dbs.close(): drains (waits for leased connections to come back), and after its grace period
 * cancels and destroys the ones still held, so a stuck request cannot keep a process from
 * shutting down or leave a session on the server.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LeakproofError } from '../src/index.js';
import { forEachEngine } from './support/engines.js';
import { eventually } from './support/serve.js';

forEachEngine('closing the databases', ['mariadb', 'postgres', 'sqlite'], (engine) => {
  it('waits for a leased connection to come back, then closes it', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const scope = dbs.createScope();
    await scope.run(() => dbs.get().query('SELECT 1'));
    let closed = false;
    const closing = dbs.close().then(() => (closed = true));
    const refused = await dbs
      .get()
      .query('SELECT 1')
      .catch((e: unknown) => e);
    assert.ok(refused instanceof LeakproofError && refused.code === 'POOL_CLOSED', String(refused));
    assert.equal(closed, false, 'close() did not wait for the leased connection');
    await scope.end('finished');
    await closing;
    assert.equal(dbs.stats().default!.open, 0);
    assert.equal(await engine().waitForCount(0), 0);
  });
});

forEachEngine('closing the databases with a stuck request', ['mariadb', 'postgres'], (engine) => {
  it('after gracePeriod the running statement is cancelled and the connection destroyed', async () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const scope = dbs.createScope();
    const stuck = scope.run(() => dbs.get().query(engine().dialect.sleep(5))).catch((e: unknown) => e);
    assert.ok(await eventually(async () => (await engine().connections()).some((c) => /sleep/i.test(c.query ?? ''))));
    await dbs.close({ gracePeriod: 200 });
    assert.equal(dbs.stats().default!.open, 0);
    assert.equal(await engine().waitForCount(0, 3000), 0, 'the session outlived close() on the server');
    assert.ok((await stuck) instanceof Error);
    await scope.end('finished'); // the request's own release comes late and is not a double release
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.released, stats.doubleReleases], [1, 0]);
  });
});
