/**
 * The probe against leakproof's own adapters: node:http, Fastify, Express and Hono, each
 * serving a slow endpoint under the probe's abort-heavy load (every disconnect shape, 30 % of
 * the clients leaving), must come out `no-leak` on MariaDB and PostgreSQL, as counted by the
 * database. The probe library is the same one that flags the broken fixtures in
 * probe-verdicts.test.ts; here it checks the adapters end to end under mixed load, which the
 * per-path cases of the shared end-path suite do one at a time.
 */
import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { DISCONNECT_SHAPES } from '../src/probe/probe-config.js';
import { runProbe } from '../src/probe/run-probe.js';
import { ADAPTERS, type ServedApp } from './support/adapters.js';
import { forEachEngine } from './support/engines.js';

forEachEngine('the probe on every adapter', ['mariadb', 'postgres'], (engine) => {
  let served: ServedApp | undefined;

  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  for (const adapter of ADAPTERS) {
    it(`${adapter.name}: no-leak under abort-heavy load`, async (t) => {
      // maxLifetime 0: nothing may stay open at rest, so the probe allows no idle connection.
      const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0, maxConnections: 8 } });
      const db = dbs.get();
      served = await adapter.serve(dbs, {
        handle: async () => {
          await db.query(engine().dialect.sleep(0.05));
          return 'ok';
        },
      });
      const appUser = decodeURIComponent(new URL(engine().url).username);
      const result = await runProbe({
        url: `http://127.0.0.1:${served.port}/slow`,
        // The app's own user: it sees its own sessions without PROCESS, and only this file's.
        db: engine().url,
        filter: { user: appUser },
        concurrency: 12,
        requests: 60,
        rounds: 3,
        pauseMs: 300,
        settlePointsMs: [300, 1000, 2000],
        abortRatio: 0.3,
        abortAfterMs: 20,
        shapes: DISCONNECT_SHAPES,
        allowedIdle: 0,
        maxConnections: 8,
      });
      t.diagnostic(
        `verdict=${result.verdict.kind}: baseline ${result.baseline}, peak ${result.peak}, settled ${result.settle.map((point) => point.connections).join('/')}, disconnects ${result.totals.disconnects}`,
      );
      assert.equal(result.verdict.kind, 'no-leak', result.verdict.reasons.join('\n'));
      assert.ok(result.totals.disconnects > 0, 'no client left early');
      assert.ok(result.peak > 0, 'the probe never saw a connection: it did not watch this app');
      const stats = dbs.stats().default!;
      assert.equal(stats.acquired, stats.released);
      assert.equal(await engine().waitForCount(0), 0);
    });
  }
});
