import type { PoolStats } from '../../src/index.js';

/** Gauges: the pool right now. `leakproof_connections_open` is the one `leakproof probe` reads. */
const GAUGES: readonly (readonly [keyof PoolStats, string, string])[] = [
  ['open', 'leakproof_connections_open', 'Connections open to the database (idle + in use + connecting).'],
  ['inUse', 'leakproof_connections_in_use', 'Connections leased to requests.'],
  ['idle', 'leakproof_connections_idle', 'Connections open and free.'],
  ['waiting', 'leakproof_requests_waiting', 'Requests waiting for a connection.'],
  ['maxConnections', 'leakproof_connections_max', 'The budget: most connections this process opens.'],
];

/** Counters: totals since the process started. */
const COUNTERS: readonly (readonly [keyof PoolStats, string, string])[] = [
  ['created', 'leakproof_connections_created_total', 'Connections opened.'],
  ['closed', 'leakproof_connections_closed_total', 'Connections closed.'],
  ['acquired', 'leakproof_leases_total', 'Connections handed to requests.'],
  ['timeouts', 'leakproof_acquire_timeouts_total', 'Requests that gave up waiting (ACQUIRE_TIMEOUT).'],
  ['rollbacks', 'leakproof_rollbacks_total', 'Transactions found open on release and rolled back.'],
  ['leaks', 'leakproof_leaks_total', 'Connections still held leakTimeout ms after their request ended.'],
];

/**
 * `dbs.stats()` in the Prometheus text exposition format, written by hand: a few lines of
 * text need no client library.
 *
 * @example
 * res.end(renderMetrics(dbs.stats()));
 * // leakproof_connections_open{alias="default"} 3
 */
export function renderMetrics(stats: Readonly<Record<string, PoolStats>>): string {
  const pools = Object.values(stats);
  const family =
    (type: string) =>
    ([key, name, help]: readonly [keyof PoolStats, string, string]) => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} ${type}`,
      ...pools.map((pool) => `${name}{alias="${escapeLabel(pool.alias)}"} ${pool[key]}`),
    ];
  return [...GAUGES.flatMap(family('gauge')), ...COUNTERS.flatMap(family('counter'))].join('\n') + '\n';
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
