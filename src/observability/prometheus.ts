/**
 * leakproof's pools as Prometheus metrics, through `prom-client` (an optional peer dependency:
 * `npm install prom-client`). Gauges and counters are read from `dbs.stats()` at scrape time,
 * so they always agree with it; the two histograms are fed by the `acquire` and `connect`
 * events of `leakproof/diagnostics`. Every series has an `alias` label and nothing else: no
 * URL, host or user, so no password can reach a scrape.
 *
 * @example
 * import http from 'node:http';
 * import { Registry } from 'prom-client';
 * import { createDatabases } from 'leakproof';
 * import { registerMetrics } from 'leakproof/prometheus';
 *
 * const dbs = createDatabases({ default: process.env.DATABASE_URL! });
 * const registry = new Registry();
 * registerMetrics(dbs, { registry });
 * http.createServer(async (req, res) => {
 *   res.setHeader('content-type', registry.contentType);
 *   res.end(await registry.metrics());
 * }).listen(9464);
 *
 * @module
 */
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import type { Databases } from '../core/databases.js';
import { UsageError } from '../errors/errors.js';
import type { PoolStats } from '../core/pool-stats.js';
import { subscribe } from '../instrumentation/channels.js';

export interface MetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global `register`. */
  readonly registry?: Registry;
  /** Put before every metric name. Default `leakproof_`. */
  readonly prefix?: string;
  /** Buckets of `acquire_wait_seconds`, in seconds. */
  readonly acquireBuckets?: readonly number[];
  /** Buckets of `connect_duration_seconds`, in seconds. */
  readonly connectBuckets?: readonly number[];
}

/** What `registerMetrics` returns. */
export interface PoolMetrics {
  /** The full names registered, e.g. `leakproof_connections_open`. */
  readonly names: readonly string[];
  /** Removes the metrics from the registry and stops listening to the events. */
  unregister(): void;
}

type StatKey = Exclude<keyof PoolStats, 'alias'>;

/** Name (after the prefix), help, and the `dbs.stats()` field each gauge reads. */
export const GAUGES: ReadonlyArray<readonly [string, string, StatKey]> = [
  ['connections_open', 'Connections open to the database: idle + in use + connecting.', 'open'],
  ['connections_in_use', 'Connections leased to requests, or being checked, rolled back or closed.', 'inUse'],
  ['connections_idle', 'Connections free in the pool.', 'idle'],
  ['connections_connecting', 'Connections being opened.', 'connecting'],
  ['connections_max', 'The budget: maxConnections.', 'maxConnections'],
  ['requests_waiting', 'Requests waiting for a connection.', 'waiting'],
];

/** Name (after the prefix), help, and the `dbs.stats()` counter each counter reads. */
export const COUNTERS: ReadonlyArray<readonly [string, string, StatKey]> = [
  ['connections_created_total', 'Connections opened.', 'created'],
  ['connections_closed_total', 'Connections closed.', 'closed'],
  ['connections_discarded_total', 'Connections closed instead of reused: broken, busy, cancelled, or failed to roll back.', 'discarded'],
  ['connections_lost_total', 'Connections that died on their own: killed on the server, restart, network.', 'lost'],
  ['leases_total', 'Connections handed to requests.', 'acquired'],
  ['releases_total', 'Connections given back by requests.', 'released'],
  ['acquire_timeouts_total', 'Requests that got ACQUIRE_TIMEOUT.', 'timeouts'],
  ['acquire_queue_full_total', 'Requests that got QUEUE_FULL.', 'queueFull'],
  ['database_refusals_total', 'New connections the database refused for its own limit (DATABASE_REFUSED).', 'refusals'],
  ['connect_errors_total', 'Other failures to open a connection (CONNECTION_FAILED).', 'connectErrors'],
  ['health_check_failures_total', 'Idle connections that failed the ping before reuse.', 'healthCheckFailures'],
  ['rollbacks_total', 'Transactions found open on release and rolled back.', 'rollbacks'],
  ['cancels_total', 'Statements cancelled on the server: their client left, or leakproof gave up on them.', 'cancels'],
  [
    'abandoned_total',
    'Connections closed because their statement did not come back within statementTimeout and a grace, or releaseTimeout after the request ended.',
    'abandoned',
  ],
  [
    'sessions_ended_total',
    'Sessions cut while their statement may have run, ended on the server (KILL CONNECTION, pg_terminate_backend) before their slot was reused.',
    'sessionsEnded',
  ],
  ['session_end_timeouts_total', 'Cut sessions not seen ending within 5 s; their slot was freed anyway.', 'sessionEndTimeouts'],
  ['leaks_total', 'Connections still held leakTimeout ms after their request ended.', 'leaks'],
  ['double_releases_total', 'Releases of a connection that was not held (a bug).', 'doubleReleases'],
];

const ACQUIRE_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CONNECT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Registers the pool metrics of `dbs` (every alias) on a prom-client registry. One `dbs` per
 * registry and prefix: a second set would clash by name, so it is refused with `METRICS_INVALID`.
 *
 * @example
 * const metrics = registerMetrics(dbs, { registry, prefix: 'app_db_' });
 * // on shutdown: metrics.unregister();
 */
export function registerMetrics(dbs: Databases, options: MetricsOptions = {}): PoolMetrics {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'leakproof_';
  const names = [...GAUGES, ...COUNTERS]
    .map(([name]) => prefix + name)
    .concat(prefix + 'acquire_wait_seconds', prefix + 'connect_duration_seconds');
  checkNames(registry, prefix, names);
  const registers = [registry];
  const stats = (): PoolStats[] => Object.values(dbs.stats());
  for (const [name, help, key] of GAUGES) {
    const gauge: Gauge<'alias'> = new Gauge({
      name: prefix + name,
      help,
      labelNames: ['alias'],
      registers,
      collect: () => {
        gauge.reset();
        for (const s of stats()) gauge.set({ alias: s.alias }, s[key]);
      },
    });
  }
  for (const [name, help, key] of COUNTERS) {
    // Counters mirror stats() rather than counting on their own, so a scrape equals stats().
    const counter: Counter<'alias'> = new Counter({
      name: prefix + name,
      help,
      labelNames: ['alias'],
      registers,
      collect: () => {
        counter.reset();
        for (const s of stats()) counter.inc({ alias: s.alias }, s[key]);
      },
    });
  }
  const unsubscribe = registerHistograms(dbs, registers, prefix, options);
  return {
    names,
    unregister: () => {
      for (const stop of unsubscribe) stop();
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

function registerHistograms(dbs: Databases, registers: Registry[], prefix: string, options: MetricsOptions): (() => void)[] {
  const acquire = new Histogram({
    name: `${prefix}acquire_wait_seconds`,
    help: 'How long requests waited for a connection (0 when an idle one was free).',
    labelNames: ['alias'],
    buckets: [...(options.acquireBuckets ?? ACQUIRE_BUCKETS)],
    registers,
  });
  const connect = new Histogram({
    name: `${prefix}connect_duration_seconds`,
    help: 'How long opening a new connection took.',
    labelNames: ['alias'],
    buckets: [...(options.connectBuckets ?? CONNECT_BUCKETS)],
    registers,
  });
  // Events name their Databases: only this one's are counted, whatever else runs in the process.
  return [
    subscribe('acquire', (event) => {
      if (event.databases === dbs && event.waitMs !== undefined) acquire.observe({ alias: event.alias }, event.waitMs / 1000);
    }),
    subscribe('connect', (event) => {
      if (event.databases === dbs) connect.observe({ alias: event.alias }, event.durationMs / 1000);
    }),
  ];
}

function checkNames(registry: Registry, prefix: string, names: readonly string[]): void {
  if (prefix !== '' && !NAME.test(prefix)) {
    throw new UsageError(
      'METRICS_INVALID',
      `registerMetrics: prefix "${prefix}" is not a valid Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)`,
    );
  }
  const taken = names.filter((name) => registry.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new UsageError(
      'METRICS_INVALID',
      `registerMetrics: the registry already has ${taken.join(', ')}; register one Databases per registry and prefix, or unregister the first`,
    );
  }
}
