/**
 * The probe's verdicts end to end, on real servers, for what needs a server of its own or an
 * option: an app whose pool is larger than the server allows is `capacity` (not a leak), one
 * above `--max-connections` is `over-budget`, and leakproof with maxLifetime 0 under cuts that
 * land while a connection opens is `no-leak`. The broken and correct fixture apps, each in a
 * process of its own, are in probe-verdicts-fixtures.test.ts. Each engine gets a dedicated
 * server, so the probe's default session filter (the URL's database) sees only these apps.
 *
 * Runs are kept short (10 in parallel, 3 × 60 requests, 30 % leaving 20 ms in, every shape,
 * settle points 0.3 / 1 / 2 s): about 4 to 7 s each.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, it, type TestContext } from 'node:test';
import { DISCONNECT_SHAPES } from '../src/probe/probe-config.js';
import type { ProbeOptions, ProbeResult } from '../src/probe/probe-result.js';
import { runProbe } from '../src/probe/run-probe.js';
import type { TestServer } from './harness/test-server.js';
import type { FixtureApp } from './probe/fixtures/fixture-app.js';
import { startCorrectRawPool } from './probe/fixtures/correct-raw-pool.js';
import { startLeakproofPerRequest } from './probe/fixtures/leakproof-per-request.js';
import { startLeakproofPooled } from './probe/fixtures/leakproof-pooled.js';
import { forEachEngine } from './support/engines.js';

const QUICK: Partial<ProbeOptions> = {
  concurrency: 10,
  requests: 60,
  rounds: 3,
  pauseMs: 300,
  settlePointsMs: [300, 1000, 2000],
  abortRatio: 0.3,
  abortAfterMs: 20,
  shapes: DISCONNECT_SHAPES,
};

/** Runs the probe at `app`, and reports the measurements next to the test. */
async function probe(t: TestContext, app: FixtureApp, db: string, options: Partial<ProbeOptions>): Promise<ProbeResult> {
  const began = Date.now();
  const result = await runProbe({ ...QUICK, ...options, url: app.url('/slow'), db });
  const floors = result.rounds.map((round) => round.floor ?? '-').join('/');
  t.diagnostic(
    `verdict=${result.verdict.kind} in ${Date.now() - began} ms: baseline ${result.baseline}, peak ${result.peak}, floors ${floors}, ` +
      `settled ${result.settle.map((point) => point.connections).join('/')}, refusals ${result.totals.refusals}, disconnects ${result.totals.disconnects}, statuses ${JSON.stringify(result.totals.statusCounts)}, ` +
      `sessions ${JSON.stringify(result.sessions?.counts)} resting ${result.restingLevel.allowedIdle} (${result.restingLevel.source}) reused/round ${result.sessions?.reusedPerRound.join('/')}`,
  );
  return result;
}

const explain = (result: ProbeResult): string => result.verdict.reasons.join('\n');

forEachEngine('probe verdicts', ['mariadb', 'postgres'], (engine) => {
  let server: TestServer | undefined;
  let app: FixtureApp | undefined;

  before(async () => {
    // Room for the connection-per-request fixture, which keeps ~190 open by design.
    server = await engine().startDedicated({ maxConnections: 250 });
  });
  after(() => server?.stop());
  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (server) assert.equal(await engine().waitForCountOn(server, 0), 0, 'the fixture left connections open after close()');
  });

  // Both apps are correct and ask for 30 connections of a server that allows 10. The raw pool
  // passes the refusals on (500 "Too many connections"); leakproof waits them out on the
  // connections it has (the fleet budget) and serves the requests, so only the peak at the
  // server's limit tells. Either way: capacity, not leak.
  const OVERSIZED = [
    { name: 'raw pool', start: (url: string) => startCorrectRawPool(url, 30), refusalsSeen: true },
    { name: 'leakproof', start: (url: string) => startLeakproofPooled(url, 30), refusalsSeen: false },
  ];
  for (const oversized of OVERSIZED) {
    it(`a correct app (${oversized.name}) whose pool is larger than the server allows → capacity, not leak`, async (t) => {
      const small = await engine().startDedicated({ maxConnections: 10 });
      try {
        app = await oversized.start(small.url);
        const result = await probe(t, app, small.url, { concurrency: 40, requests: 120 });
        assert.equal(result.verdict.kind, 'capacity', explain(result));
        assert.equal(result.verdict.exitCode, 0);
        if (oversized.refusalsSeen) {
          assert.ok(result.totals.refusals > 0, 'the database never refused');
          assert.ok(result.events.some((event) => event.kind === 'refusal'));
        } else {
          assert.match(explain(result), /at the server's limit of \d+ connections/);
        }
      } finally {
        await app?.close();
        app = undefined;
        await small.stop();
      }
    });
  }

  it('an app that opens more than --max-connections → over-budget', async (t) => {
    app = await startLeakproofPooled(server!.url, 10);
    const result = await probe(t, app, server!.url, { allowedIdle: 10, maxConnections: 5, rounds: 1 });
    assert.equal(result.verdict.kind, 'over-budget', explain(result));
    assert.equal(result.verdict.exitCode, 1);
    assert.match(result.verdict.reasons[0]!, /more than the budget of 5/);
  });

  // Found by this probe: with maxLifetime 0, a request that left while its connection was still
  // being opened left that connection idle in the pool (until idleTimeout) instead of closing
  // it. Cuts 3 ms in land in the connect reliably.
  it('leakproof with maxLifetime 0, clients leaving while their connection opens → no-leak', async (t) => {
    app = await startLeakproofPerRequest(server!.url);
    const result = await probe(t, app, server!.url, {
      rounds: 1,
      abortRatio: 0.5,
      abortAfterMs: 3,
      shapes: ['abort-before-response'],
      settlePointsMs: [1000],
    });
    assert.equal(result.verdict.kind, 'no-leak', explain(result));
  });
});
