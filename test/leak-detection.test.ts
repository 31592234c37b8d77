/**
 * leakTimeout: a connection still held after its request ended is reported with the stack that
 * leased it and the request's method and path, counted in stats().leaks, published on the leak
 * channel, and reported again when it is finally returned. The warnings never carry the
 * password.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { abortingRequest } from './harness/faults.js';
import { forEachEngine } from './support/engines.js';
import { recordEvents } from './support/record-events.js';
import { eventually, serve } from './support/serve.js';

const codeOf = (warning: Error): string | undefined => (warning as { code?: string }).code;

forEachEngine('leak detection', ['mariadb', 'postgres'], (engine) => {
  it('reports a connection held past leakTimeout after its request ended, then its return', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const dbs = engine().databases({ default: { url: engine().url, leakTimeout: 100 } });
      const scope = dbs.createScope({ request: { method: 'GET', path: '/polls/7' } });
      const slow = scope.run(() => dbs.get().query(engine().dialect.sleep(0.6)));
      assert.ok(await eventually(() => dbs.stats().default!.inUse === 1), 'the statement never got a connection');
      // The request ends while its statement still runs (no cancelOnAbort): the lease is held.
      const released = scope.end('aborted');
      assert.ok(await eventually(() => dbs.stats().default!.leaks === 1, 2000), 'no leak was reported');
      await slow;
      await released;
      assert.ok(await eventually(() => warnings.some((w) => (w as { code?: string }).code === 'LEAKPROOF_LEAK_RETURNED')));
      const leak = warnings.find((w) => (w as { code?: string }).code === 'LEAKPROOF_LEAK')!;
      assert.match(leak.message, /GET \/polls\/7/);
      assert.match(leak.message, /leased here[\s\S]*leak-detection\.test\.ts/);
      for (const warning of warnings)
        assert.ok(!warning.message.includes(new URL(engine().url).password), 'a warning carries the password');
      // The returned connection idles in the pool; the server shows exactly that one.
      assert.ok(
        await eventually(async () => (await engine().count()) === dbs.stats().default!.idle),
        `server ${await engine().count()}, idle ${dbs.stats().default!.idle}`,
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a client gone while its statement still runs (no cancelOnAbort): leak and return reported with stack, method and path; the server count returns to 0', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const dbs = engine().databases({ default: { url: engine().url, leakTimeout: 100, maxLifetime: 0 } });
      const events = recordEvents(dbs);
      const db = dbs.get();
      const served = await serve(dbs, async (_req, res) => {
        await db.query(engine().dialect.sleep(1.5));
        res.end('too late');
      });
      const outcome = await abortingRequest({
        port: served.port,
        path: '/polls/7/results?token=s3cret',
        abortWhen: () => eventually(() => dbs.stats().default!.inUse === 1),
      });
      assert.equal(outcome.responded, false);
      // The request has ended; its statement runs on and holds the lease past leakTimeout.
      assert.ok(await eventually(() => events.of('leak').length === 1, 3000), 'no leak was published');
      const [leak] = events.of('leak');
      assert.deepEqual([leak!.method, leak!.path, leak!.label], ['GET', '/polls/7/results', 'GET /polls/7/results']);
      assert.match(leak!.stack ?? '', /leased here[\s\S]*leak-detection\.test\.ts/);
      assert.equal(typeof leak!.serverId, 'number');
      assert.deepEqual(
        (await engine().connections()).map((c) => c.id),
        [leak!.serverId],
        'the server does not show the leaked session',
      );

      assert.ok(await eventually(() => events.of('leakReturned').length === 1, 5000), 'the return was not published');
      const [returned] = events.of('leakReturned');
      assert.equal(returned!.serverId, leak!.serverId);
      assert.equal(returned!.path, '/polls/7/results');
      assert.ok(returned!.heldMs >= leak!.heldMs);
      assert.equal(await engine().waitForCount(0), 0, 'the returned connection was not closed');
      assert.deepEqual(
        events.of('close').map((c) => [c.serverId, c.reason]),
        [[leak!.serverId, 'lifetime']],
      );
      assert.equal(dbs.stats().default!.leaks, 1);

      const reported = warnings.find((w) => codeOf(w) === 'LEAKPROOF_LEAK');
      assert.match(reported?.message ?? '', /request GET \/polls\/7\/results ended[\s\S]*leased here[\s\S]*leak-detection\.test\.ts/);
      assert.ok(await eventually(() => warnings.some((w) => codeOf(w) === 'LEAKPROOF_LEAK_RETURNED')));
      for (const warning of warnings) assert.ok(!warning.message.includes('s3cret'), 'a warning carries the query string');
      await served.close();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
