/**
 * I8: the password never leaves. Connection failures (a wrong password, nothing listening)
 * are typed CONNECTION_FAILED errors whose message, inspected form and stats show the URL with
 * the password masked.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { it } from 'node:test';
import { LeakproofError } from '../src/index.js';
import { forEachEngine } from './support/engines.js';

const WRONG = 'Wrong-Pa55-word-9c1e';

forEachEngine('secrets stay secret', ['mariadb', 'postgres'], (engine) => {
  function withPassword(url: string, password: string, port?: number): string {
    const parsed = new URL(url);
    parsed.password = password;
    if (port !== undefined) parsed.port = String(port);
    return parsed.toString();
  }

  for (const [what, port] of [
    ['a wrong password', undefined],
    ['nothing listening', 1],
  ] as const) {
    it(`${what}: CONNECTION_FAILED, and the password is nowhere in the error or stats`, async () => {
      const dbs = engine().databases({ default: { url: withPassword(engine().url, WRONG, port), connectTimeout: 2000 } });
      const error = await dbs
        .get()
        .query('SELECT 1')
        .catch((e: unknown) => e);
      assert.ok(error instanceof LeakproofError && error.code === 'CONNECTION_FAILED', String(error));
      assert.match(error.message, /:\*\*\*@/);
      for (const view of [
        error.message,
        String(error.stack),
        inspect(error, { depth: 6 }),
        JSON.stringify(dbs.stats()),
        inspect(dbs.options(), { depth: 6 }),
      ]) {
        assert.ok(!view.includes(WRONG), `the password leaked into: ${view.slice(0, 300)}`);
      }
      assert.equal(dbs.stats().default!.connectErrors, 1);
      assert.equal(dbs.stats().default!.open, 0);
    });
  }
});
