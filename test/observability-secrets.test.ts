/**
 * I8 for observability: with a password in the URL, nothing published on any channel, no leak
 * warning and no metrics scrape carries it, whether the password is right (connects, leases,
 * a timeout, a leak, closes) or wrong (a failed connect, with the driver's error as cause).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import { CHANNELS, subscribe, type EventKind } from '../src/instrumentation/channels.js';
import { registerMetrics } from '../src/observability/prometheus.js';
import { trackForCleanup } from './support/cleanup.js';
import { forEachEngine } from './support/engines.js';
import { eventually } from './support/serve.js';

const WRONG = 'Wrong-Pa55-word-7f3a';

forEachEngine('observability keeps secrets', ['mariadb', 'postgres'], (engine) => {
  it('no event, leak warning or scrape carries the password', async () => {
    const password = decodeURIComponent(new URL(engine().url).password);
    assert.ok(password.length >= 8, "the test server's URL has no real password to look for");
    const wrongUrl = new URL(engine().url);
    wrongUrl.password = WRONG;

    const seen: { kind: EventKind; event: unknown }[] = [];
    const stops = (Object.keys(CHANNELS) as EventKind[]).map((kind) => subscribe(kind, (event) => void seen.push({ kind, event })));
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    trackForCleanup(async () => {
      for (const stop of stops) stop();
      process.off('warning', onWarning);
    });

    // acquireTimeout leaves room for the first connect on a busy machine.
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 1, acquireTimeout: 1000, leakTimeout: 50 } });
    const wrong = engine().databases({ default: { url: wrongUrl.toString(), connectTimeout: 2000 } });
    const registry = new Registry();
    const metrics = [registerMetrics(dbs, { registry }), registerMetrics(wrong, { registry, prefix: 'wrong_' })];
    trackForCleanup(async () => metrics.forEach((m) => m.unregister()));

    await assert.rejects(
      wrong.run(() => wrong.get().query('SELECT 1 AS one')),
      { code: 'CONNECTION_FAILED' },
    );
    // The only connection held by a scope that has not ended: the next request times out.
    const holder = dbs.createScope({ request: { method: 'GET', path: '/holds' } });
    await holder.run(() => dbs.get().query('SELECT 1 AS one'));
    await assert.rejects(
      dbs.run(() => dbs.get().query('SELECT 1 AS one')),
      { code: 'ACQUIRE_TIMEOUT' },
    );
    await holder.end('finished');
    // A scope that ends while its statement runs: a leak, then its return.
    const leaking = dbs.createScope({ request: { method: 'GET', path: '/leaks' } });
    const slow = leaking.run(() => dbs.get().query(engine().dialect.sleep(0.5)));
    assert.ok(await eventually(() => dbs.stats().default!.inUse === 1));
    const released = leaking.end('aborted');
    await slow;
    await released;
    assert.ok(await eventually(() => seen.some((s) => s.kind === 'leakReturned')), 'no leak was returned');
    const scrape = await registry.metrics();
    await dbs.close();

    const kinds = new Set(seen.map((s) => s.kind));
    for (const kind of ['connect', 'acquire', 'release', 'timeout', 'error', 'leak', 'leakReturned', 'close'] as const) {
      assert.ok(kinds.has(kind), `no ${kind} event was published`);
    }
    const views = [
      scrape,
      ...warnings.map((w) => `${w.message}\n${String(w.stack)}`),
      ...seen.flatMap(({ event }) => [
        inspect(event, { depth: 10 }),
        inspect(event, { depth: 10, showHidden: true }),
        JSON.stringify(event),
      ]),
    ];
    for (const view of views) {
      for (const secret of [password, WRONG]) assert.ok(!view.includes(secret), `a secret leaked into: ${view.slice(0, 400)}`);
    }
  });
});
