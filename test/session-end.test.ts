/**
 * A statement leakproof gives up on while the server still runs it: PostgreSQL keeps the
 * backend until the statement ends, even after its socket is cut, so leakproof ends the session
 * from another connection of the pool (`pg_terminate_backend`) before it gives the slot away.
 * Here the CancelRequest cannot arrive (new connections are refused by a proxy in front of the
 * server, the pool's open ones go on working), so the cut is the only way left. MySQL's side of
 * the same rule (a cut stream) is in stream.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { LeakproofError } from '../src/index.js';
import { startStallProxy, type StallProxy } from './harness/stall-proxy.js';
import { forEachEngine } from './support/engines.js';

forEachEngine('a statement given up on while the server still runs it', ['postgres'], (engine) => {
  let proxy: StallProxy;
  before(async () => {
    const url = new URL(engine().url);
    proxy = await startStallProxy({ host: url.hostname, port: Number(url.port) });
  });
  after(() => proxy?.close());

  it('its session is terminated on the server before its slot is given away', async () => {
    const dbs = engine().databases({ default: { url: proxy.urlFor(engine().url), maxConnections: 2 } });
    const db = dbs.get();
    // Two connections open, so one is idle to carry pg_terminate_backend once new ones are refused.
    await Promise.all([0, 1].map(() => dbs.run(() => db.query('SELECT pg_sleep(0.05)'))));
    assert.equal(dbs.stats().default!.idle, 2);
    proxy.refuseNew(true);
    let pid = 0;
    const outcome = await dbs
      .run(async () => {
        pid = Number((await db.query('SELECT pg_backend_pid() AS pid'))[0]!['pid']);
        return db.query('SELECT pg_sleep(30)', [], { timeout: 200 });
      })
      .catch((error: unknown) => error);
    assert.ok(outcome instanceof LeakproofError && outcome.code === 'STATEMENT_TIMEOUT', String(outcome));
    // The scope has settled, its slot freed: the backend must already be gone, 28 s before its sleep would end.
    const listed = (await engine().connections()).some((session) => session.id === pid);
    proxy.refuseNew(false);
    assert.ok(!listed, `backend ${pid} still runs its statement on the server`);
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.abandoned, stats.sessionsEnded, stats.sessionEndTimeouts], [1, 1, 0], JSON.stringify(stats));
  });
});
