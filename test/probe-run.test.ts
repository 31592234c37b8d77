/**
 * One probe run from end to end: the phases it samples, the result it returns, a run bounded by
 * duration, progress reports, and a run stopped early by its signal.
 */
import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { PROBE_SCHEMA_VERSION, type ProbeProgress } from '../src/probe/probe-result.js';
import { runProbe } from '../src/probe/run-probe.js';
import type { FixtureApp } from './probe/fixtures/fixture-app.js';
import { startLeakproofPooled } from './probe/fixtures/leakproof-pooled.js';
import { forEachEngine } from './support/engines.js';

forEachEngine('probe run', ['mariadb'], (engine) => {
  let app: FixtureApp | undefined;
  const user = (): string => decodeURIComponent(new URL(engine().url).username);

  afterEach(async () => {
    await app?.close();
    app = undefined;
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('samples every phase and returns a complete, consistent, password-free result', async () => {
    app = await startLeakproofPooled(engine().url, 5);
    const progress: ProbeProgress[] = [];
    const result = await runProbe(
      {
        url: app.url('/'),
        db: engine().url,
        filter: { user: user() },
        concurrency: 5,
        requests: 20,
        rounds: 2,
        pauseMs: 200,
        settlePointsMs: [150, 400],
        abortRatio: 0.25,
        abortAfterMs: 20,
        allowedIdle: 5,
      },
      { onProgress: (report) => progress.push(report) },
    );
    assert.equal(result.schemaVersion, PROBE_SCHEMA_VERSION);
    assert.equal(result.tool.name, 'leakproof');
    assert.match(result.tool.version, /^\d+\.\d+\.\d+/);
    assert.equal(result.database.kind, 'mysql');
    assert.ok((result.database.maxConnections ?? 0) > 0);
    assert.deepEqual(new Set(result.samples.map((sample) => sample.phase)), new Set(['baseline', 'load', 'pause', 'settle']));
    assert.ok(
      result.samples.every((sample, i) => i === 0 || sample.t >= result.samples[i - 1]!.t),
      'samples are in time order',
    );
    assert.deepEqual(
      result.settle.map((point) => point.afterMs),
      [150, 400],
    );
    assert.deepEqual(
      result.rounds.map((round) => [round.index, round.requests, round.disconnects]),
      [
        [0, 20, 5],
        [1, 20, 5],
      ],
    );
    assert.notEqual(result.rounds[0]!.floor, undefined);
    assert.equal(result.rounds[1]!.floor, undefined, 'the last round has no pause, so no floor');
    const { totals } = result;
    assert.equal(totals.requests, totals.ok + totals.errors + totals.disconnects);
    assert.equal(totals.statusCounts['200'], totals.ok);
    assert.ok(result.peak >= result.baseline && result.peak <= 5);
    assert.ok(result.events.some((event) => event.kind === 'disconnect' && event.detail === 'abort-before-response'));
    assert.equal(result.verdict.kind, 'no-leak');
    assert.ok(!JSON.stringify(result).includes(new URL(engine().url).password), 'a password is in the result');
    assert.match(result.config.db, /:\*\*\*@/);
    assert.ok(progress.length > 0 && progress.some((report) => report.phase === 'load') && progress.at(-1)!.phase === 'settle');
  });

  it('a round bounded by duration sends until the duration passed', async () => {
    app = await startLeakproofPooled(engine().url, 5);
    const result = await runProbe({
      url: app.url('/'),
      db: engine().url,
      filter: { user: user() },
      concurrency: 3,
      durationMs: 400,
      rounds: 1,
      settlePointsMs: [100],
      allowedIdle: 5,
    });
    const [round] = result.rounds;
    assert.equal(result.config.requests, undefined);
    assert.ok(round !== undefined && round.endedAt - round.startedAt >= 400, JSON.stringify(round));
    assert.ok(round.requests >= 3);
  });

  it('the signal stops the run early and the result still comes back, saying so', async () => {
    app = await startLeakproofPooled(engine().url, 5);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();
    const result = await runProbe(
      { url: app.url('/'), db: engine().url, filter: { user: user() }, concurrency: 5, requests: 1_000_000, rounds: 3, allowedIdle: 5 },
      { signal: controller.signal },
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.ok(result.rounds.length <= 1);
    assert.ok(result.totals.requests < 1_000_000);
    assert.match(result.verdict.reasons.at(-1)!, /stopped early/);
  });
});
