/**
 * Each disconnect shape really disconnects: the app's server sees requests that closed before
 * their response finished, as many as the probe says it cut off.
 */
import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { DISCONNECT_SHAPES } from '../src/probe/probe-config.js';
import { runProbe } from '../src/probe/run-probe.js';
import type { FixtureApp } from './probe/fixtures/fixture-app.js';
import { startLeakproofPooled } from './probe/fixtures/leakproof-pooled.js';
import { forEachEngine } from './support/engines.js';

const REQUESTS = 8;

forEachEngine('probe disconnect shapes', ['mariadb'], (engine) => {
  let app: FixtureApp | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    assert.equal(await engine().waitForCount(0), 0);
  });

  for (const shape of DISCONNECT_SHAPES) {
    it(`${shape}: the server sees the requests end before their response`, async () => {
      app = await startLeakproofPooled(engine().url);
      const result = await runProbe({
        url: app.url('/slow'),
        db: engine().url,
        filter: { user: decodeURIComponent(new URL(engine().url).username) },
        shapes: [shape],
        abortRatio: 1,
        abortAfterMs: 20,
        concurrency: 4,
        requests: REQUESTS,
        rounds: 1,
        settlePointsMs: [200],
        allowedIdle: 10,
      });
      assert.equal(result.totals.disconnects, REQUESTS, JSON.stringify(result.totals));
      assert.ok(result.events.filter((event) => event.kind === 'disconnect').every((event) => event.detail === shape));
      // The check request finished; a cut can rarely race a response in one process, hence the slack.
      assert.ok(
        app.seen.aborted >= REQUESTS - 2,
        `the server saw ${app.seen.aborted} of ${REQUESTS} requests abort (${JSON.stringify(app.seen)})`,
      );
      assert.equal(result.verdict.kind, 'no-leak', result.verdict.reasons.join('\n'));
    });
  }
});
