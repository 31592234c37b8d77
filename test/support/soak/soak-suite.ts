/**
 * A seeded mixed soak against the real servers (the long one is `npm run bench`'s soak): 60 %
 * ordinary requests, 15 % clients leaving mid-query, 5 % throws, 5 % streams cut, 15 %
 * transactions that commit, roll back, or lose their client inside. Sampled on the server all
 * along, the app never holds more sessions than its budget, side channels included; at the end
 * no request hung, nothing leaked, no session is left in a transaction, and exactly the
 * committed transactions' rows exist.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachEngine } from '../engines.js';
import { sampleCount } from '../sample-count.js';
import { eventually } from '../serve.js';
import type { EngineName } from '../dialect.js';
import { createSoakTable, soakRows, startSoakApp } from './soak-app.js';
import { runSoakLoad } from './soak-load.js';

const REQUESTS = 2000;
const CONCURRENCY = 32;
/**
 * A lease still held this long after its request ended is a leak: past releaseTimeout (10 s,
 * the default) leakproof gives up on the statement itself, so only a lease leakproof failed to
 * end can get here. A tighter bound would be a timing assertion: on a MariaDB server loaded by
 * the other test files, a few cancelled 0.2 s statements came back about 4 s after their
 * request ended (4 of 385 cancels in one run; not seen on an idle server).
 */
const LEAK_TIMEOUT_MS = 12_000;
const MAX_CONNECTIONS = 10;

/** Defines the soak on `engines`; one test file per engine runs it, so each stays well inside the runner's per-file timeout. */
export function mixedSoak(engines: readonly EngineName[]): void {
  forEachEngine('mixed soak', engines, (engine) => {
    const seed = Number(process.env.LEAKPROOF_SEED ?? 35059);

    for (const cancelOnAbort of [false, true]) {
      it(`${REQUESTS} mixed requests${cancelOnAbort ? ' with cancelOnAbort' : ''} (seed ${seed}): within budget on the server, nothing stuck, leaked or left in a transaction`, async () => {
        const table = `soak_${process.pid}_${cancelOnAbort ? 'c' : 'p'}`;
        const dbs = engine().databases({
          default: { url: engine().url, maxConnections: MAX_CONNECTIONS, cancelOnAbort, leakTimeout: LEAK_TIMEOUT_MS },
        });
        await createSoakTable(dbs, engine().name, table);
        const app = await startSoakApp(dbs, engine().name, table);
        const peak = sampleCount(() => engine().count());
        const tally = await runSoakLoad({ port: app.port, requests: REQUESTS, concurrency: CONCURRENCY, seed });
        const peakOnServer = await peak.stop();
        await app.close();

        assert.equal(tally.stuck, 0, JSON.stringify(tally));
        console.log(
          `# ${engine().name}${cancelOnAbort ? ' cancelOnAbort' : ''}: peak ${peakOnServer} sessions on the server for maxConnections ${MAX_CONNECTIONS}`,
        );
        assert.ok(
          peakOnServer <= MAX_CONNECTIONS,
          `the server counted ${peakOnServer} sessions for maxConnections ${MAX_CONNECTIONS}: ${JSON.stringify(dbs.stats().default)}`,
        );
        assert.ok(await eventually(() => dbs.stats().default!.inUse === 0, 10_000), JSON.stringify(dbs.stats()));
        const stats = dbs.stats().default!;
        assert.equal(stats.leaks, 0, JSON.stringify(stats));
        assert.equal(stats.acquired, stats.released, JSON.stringify(stats));
        if (engine().name !== 'sqlite') {
          assert.ok(
            await eventually(async () => (await engine().count()) === dbs.stats().default!.idle),
            `server ${await engine().count()}, idle ${dbs.stats().default!.idle}`,
          );
          const inTransaction = await eventually(async () => (await engine().connections()).every((c) => !c.inTransaction), 2000);
          assert.ok(inTransaction, `sessions left in a transaction: ${JSON.stringify(await engine().connections())}`);
        }
        assert.deepEqual(await soakRows(dbs, table), { commit: tally.committed, rollback: 0, abort: 0 });
        assert.ok(tally.committed > 0 && tally.left > 0, JSON.stringify(tally));
        await dbs.run(() => dbs.get().execute(`DROP TABLE ${table}`));
      });
    }
  });
}
