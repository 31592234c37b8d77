/**
 * Regression for Django ticket #35059 (shared/seed/django-ticket-35059.tsv): the code that
 * released a request's connection ran on a different task than the one owning it, or not at all
 * when the client disconnected, and MariaDB hit "Too many connections". Here the end event
 * arrives outside the request's async context, and the release must still happen for the
 * owning request, exactly once, and never touch another request's connection.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { currentScope, type RequestScope } from '../src/index.js';
import { abortingRequest, httpGet } from './harness/faults.js';
import { forEachEngine } from './support/engines.js';
import { eventually, serve } from './support/serve.js';

forEachEngine('regression: django #35059, release from outside the request context', ['mariadb', 'postgres'], (engine) => {
  it('a client abort is seen outside the async context; the owner releases exactly once; the other request keeps its connection', async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
    const db = dbs.get();
    const seenInCloseListener: (RequestScope | undefined)[] = [];
    const idsOfB = new Set<number>();
    const served = await serve(dbs, async (req, res) => {
      res.on('close', () => seenInCloseListener.push(currentScope()));
      if (req.url === '/a') {
        await db.query(engine().dialect.sleep(0.5));
      } else {
        for (let i = 0; i < 6; i++) {
          const [row] = await db.query(engine().dialect.serverIdSql);
          idsOfB.add(Number(row!.id));
          await db.query(engine().dialect.sleep(0.2));
        }
      }
      res.end('done');
    });
    const b = httpGet(served.port, '/b');
    await abortingRequest({
      port: served.port,
      method: 'GET',
      path: '/a',
      abortWhen: () =>
        eventually(async () => (await engine().connections()).filter((c) => /sleep/i.test(c.query ?? '')).length === 2).then(
          () => undefined,
        ),
    });
    // A's connection goes once its statement ends; B's stays while B runs.
    assert.ok(await eventually(() => dbs.stats().default!.released === 1, 3000), 'A was not released');
    assert.equal(await engine().count(), 1, 'B lost its connection, or A kept one');
    assert.equal((await b).status, 200);
    assert.equal(idsOfB.size, 1, 'B ran on more than one server session');
    assert.equal(seenInCloseListener[0], undefined, 'the abort was delivered inside the request context after all');
    // B's release runs when its response closes, just after the client has read it.
    assert.ok(await eventually(() => dbs.stats().default!.open === 0));
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.acquired, stats.released, stats.doubleReleases], [2, 2, 0]);
    await served.close();
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });

  it("ending a scope from inside another request's context releases the owner's connection only, once", async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
    const db = dbs.get();
    const a = dbs.createScope({ label: 'A' });
    const b = dbs.createScope({ label: 'B' });
    const [idA] = await a.run(() => db.query(engine().dialect.serverIdSql));
    const [idB] = await b.run(() => db.query(engine().dialect.serverIdSql));
    assert.notEqual(Number(idA!.id), Number(idB!.id), 'two requests shared a connection');
    assert.equal(await engine().count(), 2);

    // The end of A is delivered while B's context is current: twice, as a finish and a close would.
    await b.run(() => Promise.all([a.end('finished'), a.end('aborted')]));
    assert.equal(await engine().waitForCount(1), 1);
    const ids = (await engine().connections()).map((c) => c.id);
    assert.deepEqual(ids, [Number(idB!.id)], 'the wrong session was closed');
    const [again] = await b.run(() => db.query(engine().dialect.serverIdSql));
    assert.equal(Number(again!.id), Number(idB!.id));
    assert.equal(a.endReason, 'finished');

    await b.end('finished');
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.acquired, stats.released, stats.doubleReleases], [2, 2, 0]);
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });
});
