/**
 * leakproof/prometheus: a scrape agrees with dbs.stats() and with the database's own count of
 * connections, after plain requests, an acquire timeout and a leak; the probe reads the same
 * gauge by its default name; unregister removes everything; clashes are METRICS_INVALID.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { createDatabases, LeakproofError, type Databases, type PoolStats } from '../src/index.js';
import { COUNTERS, GAUGES, registerMetrics } from '../src/observability/prometheus.js';
import { DEFAULT_METRIC } from '../src/probe/probe-config.js';
import { sumMetric } from '../src/probe/samplers/sum-metric.js';
import { abortingRequest, httpGet } from './harness/faults.js';
import { trackForCleanup } from './support/cleanup.js';
import { forEachEngine } from './support/engines.js';
import { eventually, serve } from './support/serve.js';

/** `name{labels}` → value, for every series of a scrape. */
function parse(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

function register(dbs: Databases, registry: Registry): void {
  const metrics = registerMetrics(dbs, { registry });
  trackForCleanup(async () => metrics.unregister());
}

function assertAgrees(values: Map<string, number>, stats: PoolStats): void {
  for (const [name, , key] of [...GAUGES, ...COUNTERS]) {
    assert.equal(values.get(`leakproof_${name}{alias="default"}`), stats[key], `leakproof_${name} is not stats().${key}`);
  }
}

forEachEngine('prometheus metrics', ['mariadb', 'postgres'], (engine) => {
  it("a scrape agrees with dbs.stats() and the server's own count, after requests, an acquire timeout and a leak", async () => {
    const registry = new Registry();
    // acquireTimeout leaves room for the first connect on a busy machine.
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 2, acquireTimeout: 1000, leakTimeout: 100 } });
    register(dbs, registry);
    const db = dbs.get();
    let openGate = (): void => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const served = await serve(dbs, async (req, res) => {
      await db.query(req.url === '/leak' ? engine().dialect.sleep(1) : 'SELECT 1 AS one');
      // A /hold request keeps its connection until the test opens the gate.
      if (req.url === '/hold') await gate;
      res.end('ok');
    });
    const stats = (): PoolStats => dbs.stats().default!;
    for (let i = 0; i < 5; i++) assert.equal((await httpGet(served.port, `/ok${i}`)).status, 200);

    // Both connections held: one more request times out.
    const holds = [httpGet(served.port, '/hold'), httpGet(served.port, '/hold')];
    assert.ok(await eventually(() => stats().inUse === 2));
    const timedOut = await httpGet(served.port, '/waits');
    assert.equal(JSON.parse(timedOut.body).error, 'ACQUIRE_TIMEOUT');
    openGate();
    await Promise.all(holds);

    // A client that leaves while its statement runs on: the lease is held past leakTimeout.
    await abortingRequest({ port: served.port, path: '/leak', abortWhen: () => eventually(() => stats().inUse === 1) });
    assert.ok(await eventually(() => stats().leaks === 1, 5000), 'no leak was reported');
    const during = await registry.metrics();
    assert.equal(parse(during).get('leakproof_leaks_total{alias="default"}'), 1);
    assert.equal(sumMetric(during, DEFAULT_METRIC), await engine().count(), "the open gauge is not the server's count");
    assert.ok(await eventually(() => stats().inUse === 0, 5000), 'the leaked lease never came back');

    const text = await registry.metrics();
    const values = parse(text);
    assertAgrees(values, stats());
    assert.deepEqual([stats().timeouts, stats().leaks, stats().open], [1, 1, 2]);
    assert.equal(values.get('leakproof_connections_open{alias="default"}'), await engine().count());
    assert.equal(values.get('leakproof_acquire_wait_seconds_count{alias="default"}'), stats().acquired, 'an acquire was not observed');
    assert.equal(values.get('leakproof_connect_duration_seconds_count{alias="default"}'), stats().created);
    assert.match(text, /^# TYPE leakproof_connections_open gauge$/m);
    assert.match(text, /^# TYPE leakproof_acquire_timeouts_total counter$/m);
    assert.match(text, /^# TYPE leakproof_acquire_wait_seconds histogram$/m);

    await served.close();
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
    const after = parse(await registry.metrics());
    assertAgrees(after, stats());
    assert.equal(after.get('leakproof_connections_open{alias="default"}'), 0);
  });
});

it('every alias gets its series; unregister removes the metrics; clashes and bad prefixes are METRICS_INVALID', async () => {
  // Nothing connects: the gauges read stats(), which exist before the first query.
  const dbs = createDatabases({ default: 'sqlite:./never-opened.sqlite3', replica: 'sqlite:./never-opened-too.sqlite3' });
  const registry = new Registry();
  const metrics = registerMetrics(dbs, { registry, prefix: 'app_db_' });
  const values = parse(await registry.metrics());
  assert.equal(values.get('app_db_connections_max{alias="default"}'), 10);
  assert.equal(values.get('app_db_connections_open{alias="replica"}'), 0);
  assert.equal(metrics.names.length, GAUGES.length + COUNTERS.length + 2);

  const clash = ((): unknown => {
    try {
      return registerMetrics(dbs, { registry, prefix: 'app_db_' });
    } catch (error) {
      return error;
    }
  })();
  assert.ok(clash instanceof LeakproofError && clash.code === 'METRICS_INVALID', String(clash));
  assert.throws(() => registerMetrics(dbs, { registry, prefix: 'no spaces' }), { code: 'METRICS_INVALID' });

  metrics.unregister();
  assert.equal((await registry.metrics()).trim(), '');
  registerMetrics(dbs, { registry, prefix: 'app_db_' }).unregister();
  await dbs.close();
});
