/**
 * leakTimeout: a connection still held after its request ended is reported with the stack that
 * leased it and the request's label, counted in stats().leaks, and reported again when it is
 * finally returned. The warnings never carry the password.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachEngine } from './support/engines.js';
import { eventually } from './support/serve.js';

forEachEngine('leak detection', ['mariadb', 'postgres'], (engine) => {
  it('reports a connection held past leakTimeout after its request ended, then its return', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const dbs = engine().databases({ default: { url: engine().url, leakTimeout: 100 } });
      const scope = dbs.createScope({ label: 'GET /polls/7' });
      const slow = scope.run(() => dbs.get().query(engine().dialect.sleep(0.6)));
      await eventually(() => dbs.stats().default!.inUse === 1);
      // The request ends while its statement still runs (no cancelOnAbort): the lease is held.
      const released = scope.end('aborted');
      assert.ok(await eventually(() => dbs.stats().default!.leaks === 1, 2000), 'no leak was reported');
      await slow;
      await released;
      assert.ok(await eventually(() => warnings.some((w) => (w as { code?: string }).code === 'LEAKPROOF_LEAK_RETURNED')));
      const leak = warnings.find((w) => (w as { code?: string }).code === 'LEAKPROOF_LEAK')!;
      assert.match(leak.message, /GET \/polls\/7/);
      assert.match(leak.message, /leased here[\s\S]*leak-detection\.test\.ts/);
      for (const warning of warnings) assert.ok(!warning.message.includes(new URL(engine().url).password), 'a warning carries the password');
      assert.ok((await engine().count()) <= 1);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
