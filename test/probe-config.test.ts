/**
 * The probe's options: defaults, the default session filter, every problem in one PROBE_USAGE
 * error, and passwords masked in the resolved config and in every message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeakproofError, ProbeError } from '../src/errors/errors.js';
import { maskHeaders, maskUrl, scrub, secretsOf } from '../src/secrets/mask-secrets.js';
import { PROBE_DEFAULTS, resolveProbeConfig } from '../src/probe/probe-config.js';
import type { ProbeOptions } from '../src/probe/probe-result.js';
import { runProbe } from '../src/probe/run-probe.js';

const PASSWORD = 'Pr0be-S3cret';
const DB = `mysql://monitor:${PASSWORD}@db.internal:3306/shop`;
const URL_ = 'http://127.0.0.1:3000/orders?slow=1';

function usageError(options: ProbeOptions): ProbeError {
  try {
    resolveProbeConfig(options);
  } catch (error) {
    assert.ok(error instanceof ProbeError && error instanceof LeakproofError);
    assert.equal(error.code, 'PROBE_USAGE');
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail('expected PROBE_USAGE');
}

describe('probe config', () => {
  it('applies the documented defaults', () => {
    const { config, samplerKind } = resolveProbeConfig({ url: URL_, db: DB });
    assert.equal(samplerKind, 'mysql');
    assert.deepEqual(
      [
        config.method,
        config.concurrency,
        config.requests,
        config.durationMs,
        config.rounds,
        config.pauseMs,
        config.abortRatio,
        config.abortAfterMs,
      ],
      ['GET', 50, 500, undefined, 3, 2000, 0.2, 50],
    );
    assert.deepEqual(config.shapes, ['abort-before-response']);
    assert.deepEqual(
      [config.sampleIntervalMs, config.allowedIdle, config.maxConnections, config.requestTimeoutMs],
      [75, 'learned', undefined, 10_000],
    );
    assert.deepEqual(config.settlePointsMs, [500, 2000, 10_000]);
    assert.equal(config.metric, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.filter));
    assert.equal(PROBE_DEFAULTS.concurrency, 50);
  });

  it('filters on the database named in the URL by default, on nothing without one, and as told otherwise', () => {
    assert.deepEqual(resolveProbeConfig({ url: URL_, db: DB }).config.filter, { database: 'shop' });
    assert.deepEqual(resolveProbeConfig({ url: URL_, db: 'postgres://u@db' }).config.filter, {});
    assert.deepEqual(resolveProbeConfig({ url: URL_, db: DB, filter: {} }).config.filter, {});
    assert.deepEqual(resolveProbeConfig({ url: URL_, db: DB, filter: { user: 'app', host: '10.0.0.5' } }).config.filter, {
      user: 'app',
      host: '10.0.0.5',
    });
    // PgBouncer's console URL names the console, not the app's database: every app client counts.
    const bouncer = resolveProbeConfig({ url: URL_, db: 'postgres://admin@bouncer:6432/pgbouncer' });
    assert.deepEqual([bouncer.samplerKind, bouncer.config.filter], ['pgbouncer', {}]);
  });

  it('a duration bounds the rounds instead of a request count', () => {
    const { config } = resolveProbeConfig({ url: URL_, db: DB, durationMs: 30_000 });
    assert.deepEqual([config.requests, config.durationMs], [undefined, 30_000]);
  });

  it('masks passwords in the resolved URLs and credentials in headers', () => {
    const { config, dbUrl } = resolveProbeConfig({
      url: `http://admin:${PASSWORD}@127.0.0.1:3000/`,
      db: DB,
      headers: { Authorization: `Bearer ${PASSWORD}`, 'X-Trace': 'on' },
    });
    assert.equal(config.db, 'mysql://monitor:***@db.internal:3306/shop');
    assert.equal(config.url, 'http://admin:***@127.0.0.1:3000/');
    assert.deepEqual(config.headers, { authorization: '***', 'x-trace': 'on' });
    assert.ok(!JSON.stringify(config).includes(PASSWORD));
    assert.equal(dbUrl, DB, 'the sampler still gets the real URL');
  });

  it('collects every problem into one PROBE_USAGE error', () => {
    const error = usageError({
      url: 'ftp://x',
      db: `redis://u:${PASSWORD}@h`,
      concurrency: 0,
      abortRatio: 1.5,
      rounds: 2.5,
      shapes: ['abort-before-response', 'teleport' as never],
      settlePointsMs: [0, 500],
      requests: 10,
      durationMs: 1000,
      headers: { 'Content-Length': '5' },
      nope: true,
    } as unknown as ProbeOptions);
    for (const pattern of [
      /unknown option "nope"/,
      /"url" must be an http/,
      /"db" must be/,
      /"concurrency"/,
      /"abortRatio"/,
      /"rounds"/,
      /teleport/,
      /"settlePointsMs"/,
      /not both/,
      /Content-Length/,
    ]) {
      assert.ok(
        error.problems.some((problem) => pattern.test(problem)),
        `missing ${pattern} in:\n${error.message}`,
      );
    }
    assert.ok(!error.message.includes(PASSWORD), 'the password leaked into the message');
  });

  it('metric goes with a Prometheus db only, and filter with a SQL db only', () => {
    const prometheus = resolveProbeConfig({ url: URL_, db: 'http://127.0.0.1:9100/metrics' });
    assert.deepEqual(
      [prometheus.samplerKind, prometheus.config.metric, prometheus.config.filter],
      ['prometheus', 'leakproof_connections_open', {}],
    );
    assert.equal(resolveProbeConfig({ url: URL_, db: 'http://h/metrics', metric: 'pool_open' }).config.metric, 'pool_open');
    assert.match(usageError({ url: URL_, db: DB, metric: 'pool_open' }).message, /"metric" applies to a Prometheus/);
    assert.match(usageError({ url: URL_, db: 'http://h/metrics', filter: { user: 'x' } }).message, /"filter" applies to mysql/);
    assert.match(usageError({ url: URL_, db: 'http://h/metrics', metric: 'bad name' }).message, /Prometheus metric name/);
  });

  it('runProbe rejects bad options before connecting anywhere', async () => {
    await assert.rejects(
      runProbe({ url: URL_, db: DB, concurrency: -1 }),
      (error: unknown) => error instanceof ProbeError && error.code === 'PROBE_USAGE',
    );
  });
});

describe('masking secrets', () => {
  it('masks URL passwords and credential query parameters', () => {
    assert.equal(
      maskUrl('postgres://app:p%40ss@db/app?sslmode=require&password=x'),
      'postgres://app:***@db/app?sslmode=require&password=***',
    );
    assert.equal(maskUrl('http://host/metrics'), 'http://host/metrics');
    assert.equal(maskUrl('not a url //u:secret@h'), 'not a url //u:***@h');
  });

  it('scrubs raw and decoded passwords and URL credentials out of messages', () => {
    const secrets = secretsOf(['postgres://app:p%40ss@db/app']);
    assert.deepEqual(secrets.sort(), ['p%40ss', 'p@ss'].sort());
    assert.equal(scrub('auth failed for p@ss at mysql://root:hunter2@x/y', secrets), 'auth failed for *** at mysql://root:***@x/y');
  });

  it('masks credential headers only', () => {
    assert.deepEqual(maskHeaders({ Cookie: 'sid=1', Accept: 'text/html' }), { Cookie: '***', Accept: 'text/html' });
  });
});
