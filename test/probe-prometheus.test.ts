/**
 * The probe with a Prometheus endpoint as its source of counts, end to end and without a
 * database: an app whose gauge never comes down after disconnects is a leak; one whose gauge
 * does is not.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runProbe } from '../src/probe/run-probe.js';
import { startMetricsApp } from './probe/fixtures/metrics-app.js';

const quick = {
  concurrency: 8,
  requests: 40,
  rounds: 3,
  pauseMs: 200,
  settlePointsMs: [200, 600],
  abortRatio: 0.25,
  abortAfterMs: 20,
  sampleIntervalMs: 50,
} as const;

for (const leaky of [true, false]) {
  it(`an app whose gauge ${leaky ? 'stays up after disconnects is a leak' : 'comes back down is not a leak'}`, async () => {
    const app = await startMetricsApp(leaky);
    try {
      const result = await runProbe({ url: app.url('/work'), db: app.metricsUrl, ...quick });
      assert.equal(result.database.kind, 'prometheus');
      assert.equal(result.database.maxConnections, undefined);
      assert.equal(result.config.metric, 'leakproof_connections_open');
      assert.equal(result.totals.disconnects, 30);
      assert.equal(result.verdict.kind, leaky ? 'leak' : 'no-leak', result.verdict.reasons.join('\n'));
      // A cut can race the 50 ms response, so count what the app saw rather than assume 30.
      assert.equal(result.settle.at(-1)?.connections, leaky ? app.seen.aborted : 0);
      assert.ok(app.seen.aborted >= 20, `the app saw only ${app.seen.aborted} disconnects`);
    } finally {
      await app.close();
    }
  });
}

it('a metrics page without the metric is PROBE_UNREACHABLE, named', async () => {
  const app = await startMetricsApp(false);
  try {
    await assert.rejects(
      runProbe({ url: app.url('/work'), db: app.metricsUrl, metric: 'pool_open_connections' }),
      /no series of "pool_open_connections"/,
    );
  } finally {
    await app.close();
  }
});
