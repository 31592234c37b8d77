/**
 * What bench/curves.ts measured, rendered: the tables and overload verdicts of bench/curves.md
 * (a section of bench/results.md too) and the panels of bench/curves.svg.
 *
 * @module
 */
import type { Panel } from './curves-svg.js';
import type { HttpSample } from './http-run.js';
import { HTTP_VARIANTS, type VariantName } from './http-variants.js';
import { median } from './stats.js';

/** The pool every overload point runs on. */
export const OVERLOAD_POOL = 10;
/** leakproof's default acquireTimeout: no request waits longer for a connection. */
const ACQUIRE_TIMEOUT_MS = 10_000;

export interface Sample extends HttpSample {
  readonly peakSessions: number;
  readonly refusals: number | undefined;
}

export interface Point {
  readonly variant: VariantName;
  readonly clients: number;
  readonly pool: number;
  readonly processes: number;
  readonly maxWaiting: number | undefined;
  /** Clients answered 503 wait its Retry-After before asking again. */
  readonly honorRetryAfter: boolean;
  readonly samples: Sample[];
}

export interface Meta {
  readonly date: string;
  readonly node: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly minutes: number;
}

/** curves.json: the run's meta, its variants in order and every point with its samples. */
export interface Measured {
  readonly meta: Meta;
  readonly variants: readonly VariantName[];
  readonly points: readonly Point[];
}

const isOverload = (point: Point): boolean => point.maxWaiting !== undefined;
const isBase = (point: Point): boolean => !isOverload(point) && point.processes === 1;

/** Responses answered 200 per second: what the clients got, the shed 503s left out. */
function goodput(sample: Sample): number {
  return sample.requests === 0 ? 0 : (sample.rps * (sample.statuses['200'] ?? 0)) / sample.requests;
}

type Metric = (sample: Sample) => number;
const METRICS = {
  rps: (s: Sample) => s.rps,
  goodput,
  p50: (s: Sample) => s.p50Ms,
  p99: (s: Sample) => s.p99Ms,
  cpu: (s: Sample) => s.serverCpuUsPerRequest,
  shed: (s: Sample) => s.statuses['503'] ?? 0,
  retryAfter: (s: Sample) => s.retryAfter503,
  otherErrors: (s: Sample) => s.errors - (s.statuses['503'] ?? 0),
  sessions: (s: Sample) => s.peakSessions,
  busy: (s: Sample) => s.machineBusyPercent,
} satisfies Record<string, Metric>;

function medianOf(point: Point, metric: Metric): number {
  return median(point.samples.map(metric));
}

/** The SVG's panels: each a metric against clients, pool size, processes or what overload admits. */
export function curvesPanels({ points, variants }: Measured): Panel[] {
  const series = (filter: (point: Point) => boolean, x: (point: Point) => number, metric: Metric): Panel['series'] =>
    variants.map((variant) => ({
      label: HTTP_VARIANTS[variant],
      points: points
        .filter((point) => point.variant === variant && filter(point))
        .map((point) => ({ x: x(point), y: medianOf(point, metric) }))
        .sort((a, b) => a.x - b.x),
    }));
  const byClients = (point: Point): boolean => isBase(point) && point.pool === 10;
  const byPool = (point: Point): boolean => isBase(point) && point.clients === 64;
  const byProcesses = (point: Point): boolean => !isOverload(point) && point.clients === 64 && point.pool === 10;
  // Clients that retry at once: the one behaviour measured at every overload point.
  const byAdmitted = (point: Point): boolean => isOverload(point) && !point.honorRetryAfter;
  return [
    { title: 'answered 200/s against clients (pool 10)', xLabel: 'clients', series: series(byClients, (p) => p.clients, METRICS.goodput) },
    { title: 'p99 ms against clients', xLabel: 'clients', series: series(byClients, (p) => p.clients, METRICS.p99) },
    { title: 'server CPU µs/req against clients', xLabel: 'clients', series: series(byClients, (p) => p.clients, METRICS.cpu) },
    { title: 'req/s against pool size (64 clients)', xLabel: 'connections per pool', series: series(byPool, (p) => p.pool, METRICS.rps) },
    { title: 'p99 ms against pool size', xLabel: 'connections per pool', series: series(byPool, (p) => p.pool, METRICS.p99) },
    {
      title: 'req/s, 1 and 2 processes (64 clients)',
      xLabel: 'server processes',
      series: series(byProcesses, (p) => p.processes, METRICS.rps),
    },
    {
      title: 'overload: answered 200/s (10× the pool)',
      xLabel: 'requests admitted at once',
      series: series(byAdmitted, admitted, METRICS.goodput),
    },
    { title: 'overload: server CPU µs/req', xLabel: 'requests admitted at once', series: series(byAdmitted, admitted, METRICS.cpu) },
  ];
}

const HEADER = [
  '| variant | clients | pool | processes | req/s | answered 200/s | p50 ms | p99 ms | server CPU µs/req | 503s (with Retry-After) | other errors | peak DB sessions | DB refusals | machine busy |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
].join('\n');

function row(point: Point): string {
  const m = (metric: Metric, digits = 0): string => {
    const value = medianOf(point, metric);
    return digits === 0 ? Math.round(value).toLocaleString('en-US') : value.toFixed(digits);
  };
  const refusals = point.samples.map((s) => s.refusals);
  const refused = refusals.some((value) => value === undefined) ? 'n/a' : String(refusals.reduce((sum, value) => sum! + value!, 0));
  const label = `${HTTP_VARIANTS[point.variant]}${isOverload(point) ? `, ${overloadLabel(point)}` : ''}`;
  return `| ${label} | ${point.clients} | ${point.pool} | ${point.processes} | ${m(METRICS.rps)} | ${m(METRICS.goodput)} | ${m(METRICS.p50, 1)} | ${m(METRICS.p99, 1)} | ${m(METRICS.cpu, 1)} | ${m(METRICS.shed)} (${m(METRICS.retryAfter)}) | ${m(METRICS.otherErrors)} | ${m(METRICS.sessions)} | ${refused} | ${m(METRICS.busy)} % |`;
}

/**
 * bench/curves.md: the tables of every point and the overload verdicts. `depth` 2 renders it as a
 * section of another page (bench/results.md): every heading one level down, `note` under the first.
 */
export function curvesMarkdown(
  { meta, points, variants }: Measured,
  section: { depth: number; note: string } = { depth: 1, note: '' },
): string {
  const sorted = (filter: (point: Point) => boolean, key: (point: Point) => number): string[] =>
    points
      .filter(filter)
      .sort((a, b) => variants.indexOf(a.variant) - variants.indexOf(b.variant) || key(a) - key(b))
      .map(row);
  const lines = [
    '# Cost curves',
    '',
    ...(section.note === '' ? [] : [section.note, '']),
    `${meta.date} · Node ${meta.node} · ${meta.rounds} interleaved rounds × (2 s warm-up + ${meta.seconds} s) per point · ${meta.minutes.toFixed(1)} min. Medians over rounds (DB refusals: the sum). \`GET /item?id=N\`, one primary-key SELECT. The machine has 2 cores shared by the server, the load generator and the database, so the curves show where each stack saturates, not a production ceiling. "peak DB sessions": the most sessions of the bench's user the database listed at once (polled every 200 ms); "DB refusals": connects MariaDB refused for max_connections (PostgreSQL keeps no such counter: n/a).`,
    '',
    '![req/s, p99 and server CPU per request against clients, pool size and processes, and under overload](curves.svg)',
    '',
    '## Clients (pools of 10)',
    '',
    HEADER,
    ...sorted(
      (p) => isBase(p) && p.pool === 10,
      (p) => p.clients,
    ),
    '',
    '## Pool size (64 clients)',
    '',
    HEADER,
    ...sorted(
      (p) => isBase(p) && p.clients === 64,
      (p) => p.pool,
    ),
    '',
    '## 1 and 2 server processes (node:cluster, 64 clients, a pool of 10 in each process)',
    '',
    HEADER,
    ...sorted(
      (p) => !isOverload(p) && p.clients === 64 && p.pool === 10,
      (p) => p.processes,
    ),
    '',
    `## Overload: 10× what a pool of ${OVERLOAD_POOL} can take`,
    '',
    `1000 clients are 10× the 100 requests leakproof's pool holds with \`maxWaiting\` 90 (10 served, 90 queued); 100 clients are 10× its ${OVERLOAD_POOL} connections, with a queue as long as the pool (\`maxWaiting\` 10) or none (0). The raw pools queue without bound.`,
    '',
    HEADER,
    ...sorted(isOverload, overloadOrder),
    '',
    ...overloadVerdicts(points, variants),
    '',
  ];
  const deeper = '#'.repeat(section.depth - 1);
  return lines.map((line) => (line.startsWith('#') ? `${deeper}${line}` : line)).join('\n');
}

/**
 * Per variant: answered-200 rate under overload against the best it reached in the clients
 * sweep (round by round, as the main bench reads its ratios: the rounds are interleaved, so a
 * round's points share the machine's mood), p99 against acquireTimeout, the database's refusals, and whether every shed answer
 * carried Retry-After.
 */
function overloadVerdicts(points: readonly Point[], variants: readonly VariantName[]): string[] {
  return points
    .filter(isOverload)
    .sort((a, b) => variants.indexOf(a.variant) - variants.indexOf(b.variant) || overloadOrder(a) - overloadOrder(b))
    .map((overload) => {
      const sweep = points.filter((point) => point.variant === overload.variant && isBase(point) && point.pool === 10);
      const peak = Math.max(...sweep.map((point) => medianOf(point, METRICS.goodput)));
      const ratios = overload.samples.map((sample) => goodput(sample) / peakInRound(sweep, sample.round));
      const total = (metric: Metric): number => overload.samples.reduce((sum, s) => sum + metric(s), 0);
      const shed = total(METRICS.shed);
      const withRetryAfter = total(METRICS.retryAfter);
      const refusals = overload.samples.map((s) => s.refusals);
      const refused = refusals.some((value) => value === undefined)
        ? 'not counted (PostgreSQL)'
        : String(refusals.reduce((sum, v) => sum! + v!, 0));
      const p99 = medianOf(overload, METRICS.p99);
      return `- ${HTTP_VARIANTS[overload.variant]}, ${overloadLabel(overload)}: answered 200/s ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) its peak in the clients sweep, the median of per-round ratios (the peak of the medians: ${Math.round(peak).toLocaleString('en-US')}/s); p99 ${p99.toFixed(0)} ms (${p99 <= ACQUIRE_TIMEOUT_MS ? 'within' : 'beyond'} leakproof's acquireTimeout, ${ACQUIRE_TIMEOUT_MS} ms); peak DB sessions ${medianOf(overload, METRICS.sessions)}; DB refusals ${refused}; 503s ${shed.toLocaleString('en-US')}${shed === 0 ? '' : withRetryAfter === shed ? ', every one with Retry-After' : `, ${withRetryAfter.toLocaleString('en-US')} with Retry-After`}; other errors ${total(METRICS.otherErrors)}.`;
    });
}

/** The best answered-200 rate of the sweep's points in one round: what that round's overload point is held against. */
function peakInRound(sweep: readonly Point[], round: number): number {
  return Math.max(...sweep.flatMap((point) => point.samples.filter((s) => s.round === round).map(goodput)));
}

/** What the server holds at once under overload: leakproof's pool and queue; a raw pool, which never sheds, every client. */
function admitted(point: Point): number {
  return point.variant.startsWith('leakproof') ? point.pool + (point.maxWaiting ?? 0) : point.clients;
}

/** Most clients first, then the longer queue, clients retrying at once before those that wait. */
function overloadOrder(point: Point): number {
  return -point.clients * 10_000 - (point.maxWaiting ?? 0) * 10 + Number(point.honorRetryAfter);
}

function overloadLabel(point: Point): string {
  if (!point.variant.startsWith('leakproof')) return `${point.clients} clients`;
  const clients = point.honorRetryAfter ? 'clients wait Retry-After' : 'clients retry at once';
  return `${point.clients} clients, maxWaiting ${point.maxWaiting}, ${clients}`;
}
