/**
 * Cost curves: how req/s, latency and the server's CPU per request move as the work grows.
 * Each point a fresh server process and load generator (as in `npm run bench`), the rounds
 * interleaved so every point of a round shares the machine's mood:
 *
 *   clients 16 / 64 / 256 / 1024 with pools of 10;
 *   pools of 2 / 10 / 50 with 64 clients;
 *   1 against 2 server processes (node:cluster, a pool of 10 in each) with 64 clients;
 *   overload, 10× what the pool can take, read two ways: 10× the requests leakproof's pool of
 *   10 with `maxWaiting` 90 holds (10 served, 90 queued), so 1000 clients; and 10× the
 *   connections, so 100 clients, with a queue as long as the pool (`maxWaiting` 10) and with
 *   none (0). Past what it holds leakproof answers 503 + Retry-After at once. With clients that
 *   ask again at once (a retry storm: every shed request comes straight back and costs the
 *   server its parse and answer) and, with `maxWaiting` 90 and 0, with clients that wait the
 *   Retry-After they were given, as well-behaved clients do. The raw pools, which queue without
 *   bound and never shed, get the same 1000 and 100 clients.
 *
 * For leakproof/http and the raw pool of each engine. Every point also records what the database
 * saw (server-sessions.ts): its peak sessions and, on MariaDB, the connects it refused. With 1024
 * clients on a pool of 10 more requests wait than leakproof's default `maxWaiting` (1000)
 * allows: that excess too is answered 503 `QUEUE_FULL` at once, by design.
 *
 *   npm run bench:curves     CURVES_ROUNDS=2  CURVES_SECONDS=5  CURVES_VARIANTS=raw-pg,leakproof-pg,…
 *   npm run bench:curves -- --render    only redraws curves.md and curves.svg from curves.json
 *
 * Writes bench/curves.md, bench/curves.json and bench/curves.svg.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig, type BenchConfig } from './config.js';
import { curvesSvg, type Panel } from './curves-svg.js';
import { prepareMysql, preparePostgres } from './data.js';
import { measure, type HttpSample } from './http-run.js';
import { HTTP_VARIANTS, isVariantName, type VariantName } from './http-variants.js';
import { buildLeakproof } from './leakproof-build.js';
import { watchSessions } from './server-sessions.js';
import { median } from './stats.js';

const CLIENTS = [16, 64, 256, 1024] as const;
const POOLS = [2, 10, 50] as const;
const PROCESSES = [1, 2] as const;
const OVERLOAD_POOL = 10;
/**
 * The overload points: clients and leakproof's `maxWaiting`, and whether clients that wait
 * Retry-After get a point of their own. What the server admits at once is what costs: served
 * and queued requests hold their sockets, parsers and promises while they wait.
 */
const OVERLOADS = [
  { clients: 1000, maxWaiting: 90, alsoPolite: true },
  { clients: 100, maxWaiting: 10, alsoPolite: false },
  { clients: 100, maxWaiting: 0, alsoPolite: true },
] as const;
/** leakproof's default acquireTimeout: no request waits longer for a connection. */
const ACQUIRE_TIMEOUT_MS = 10_000;
const DEFAULT_VARIANTS: readonly VariantName[] = ['raw-mysql2', 'leakproof-mysql2', 'raw-pg', 'leakproof-pg'];

interface Sample extends HttpSample {
  readonly peakSessions: number;
  readonly refusals: number | undefined;
}

interface Point {
  readonly variant: VariantName;
  readonly clients: number;
  readonly pool: number;
  readonly processes: number;
  readonly maxWaiting: number | undefined;
  /** Clients answered 503 wait its Retry-After before asking again. */
  readonly honorRetryAfter: boolean;
  readonly samples: Sample[];
}

interface Meta {
  readonly date: string;
  readonly node: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly minutes: number;
}

const log = (line: string): void => {
  process.stderr.write(`[curves ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function main(): Promise<void> {
  if (process.argv.includes('--render')) return render(JSON.parse(readFileSync(path('curves.json'), 'utf8')) as Measured);
  const base = readConfig();
  const rounds = Number(process.env['CURVES_ROUNDS'] ?? 2);
  const seconds = Number(process.env['CURVES_SECONDS'] ?? 5);
  const variants = readVariants(process.env['CURVES_VARIANTS']);
  buildLeakproof();
  await prepareMysql(base.mysqlUrl);
  await preparePostgres(base.pgUrl);
  const points = variants.flatMap(pointsOf);
  const started = Date.now();
  for (let round = 0; round < rounds; round++) {
    // Reversed every other round, so no point always runs first or last.
    for (const point of round % 2 === 0 ? points : [...points].reverse()) {
      log(`round ${round + 1}/${rounds}: ${describe(point)}`);
      const config: BenchConfig = {
        ...base,
        seconds,
        connections: point.clients,
        poolSize: point.pool,
        processes: point.processes,
        maxWaiting: point.maxWaiting,
        honorRetryAfter: point.honorRetryAfter,
      };
      point.samples.push(await measureWatched(point.variant, round, config));
    }
  }
  const meta: Meta = {
    date: new Date(started).toISOString(),
    node: process.versions.node,
    rounds,
    seconds,
    minutes: (Date.now() - started) / 60_000,
  };
  write('curves.json', `${JSON.stringify({ meta, variants, points }, null, 2)}\n`);
  render({ meta, variants, points });
}

interface Measured {
  readonly meta: Meta;
  readonly variants: readonly VariantName[];
  readonly points: readonly Point[];
}

function render({ meta, variants, points }: Measured): void {
  write('curves.md', renderMarkdown(meta, points, variants));
  write('curves.svg', curvesSvg(panels(points, variants)));
  log('wrote bench/curves.md and bench/curves.svg');
}

/** Every point of one variant, each measured once per round (the 64-client pool-10 point is shared by three sweeps). */
function pointsOf(variant: VariantName): Point[] {
  const point = (clients: number, pool: number, processes = 1, maxWaiting?: number, honorRetryAfter = false): Point => ({
    variant,
    clients,
    pool,
    processes,
    maxWaiting,
    honorRetryAfter,
    samples: [],
  });
  const sheds = variant.startsWith('leakproof');
  // A raw pool has no maxWaiting and answers no 503 for a client to wait on: one point per client count.
  const overloads = sheds ? OVERLOADS : OVERLOADS.filter((each, i) => OVERLOADS.findIndex((o) => o.clients === each.clients) === i);
  return [
    ...CLIENTS.map((clients) => point(clients, 10)),
    ...POOLS.filter((pool) => pool !== 10).map((pool) => point(64, pool)),
    ...PROCESSES.filter((processes) => processes !== 1).map((processes) => point(64, 10, processes)),
    ...overloads.flatMap(({ clients, maxWaiting, alsoPolite }) => [
      point(clients, OVERLOAD_POOL, 1, maxWaiting, false),
      ...(sheds && alsoPolite ? [point(clients, OVERLOAD_POOL, 1, maxWaiting, true)] : []),
    ]),
  ];
}

async function measureWatched(variant: VariantName, round: number, config: BenchConfig): Promise<Sample> {
  const watch = await watchSessions(variant.endsWith('-pg') ? config.pgUrl : config.mysqlUrl);
  const sample = await measure(variant, round, config).catch(async (error: unknown) => {
    await watch.stop();
    throw error;
  });
  return { ...sample, ...(await watch.stop()) };
}

function describe(point: Point): string {
  const extra = [
    point.processes > 1 ? `${point.processes} processes` : '',
    // A raw pool's overload point carries a maxWaiting only to mark it as one: it has no queue bound.
    point.maxWaiting === undefined || !point.variant.startsWith('leakproof') ? '' : `maxWaiting ${point.maxWaiting}`,
    point.honorRetryAfter ? 'clients wait Retry-After' : '',
  ];
  return [`${point.variant}, ${point.clients} clients, pool ${point.pool}`, ...extra.filter((text) => text !== '')].join(', ');
}

function readVariants(text: string | undefined): readonly VariantName[] {
  if (text === undefined || text === '') return DEFAULT_VARIANTS;
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isVariantName(name));
  if (unknown.length > 0) throw new Error(`unknown CURVES_VARIANTS: ${unknown.join(', ')}`);
  return names as VariantName[];
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

function panels(points: readonly Point[], variants: readonly VariantName[]): Panel[] {
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

function renderMarkdown(meta: Meta, points: readonly Point[], variants: readonly VariantName[]): string {
  const sorted = (filter: (point: Point) => boolean, key: (point: Point) => number): string[] =>
    points
      .filter(filter)
      .sort((a, b) => variants.indexOf(a.variant) - variants.indexOf(b.variant) || key(a) - key(b))
      .map(row);
  return [
    '# Cost curves',
    '',
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
  ].join('\n');
}

/**
 * Per variant: answered-200 rate under overload against the best it reached in the clients
 * sweep, p99 against acquireTimeout, the database's refusals, and whether every shed answer
 * carried Retry-After.
 */
function overloadVerdicts(points: readonly Point[], variants: readonly VariantName[]): string[] {
  return points
    .filter(isOverload)
    .sort((a, b) => variants.indexOf(a.variant) - variants.indexOf(b.variant) || overloadOrder(a) - overloadOrder(b))
    .map((overload) => {
      const sweep = points.filter((point) => point.variant === overload.variant && isBase(point) && point.pool === 10);
      const peak = Math.max(...sweep.map((point) => medianOf(point, METRICS.goodput)));
      const total = (metric: Metric): number => overload.samples.reduce((sum, s) => sum + metric(s), 0);
      const shed = total(METRICS.shed);
      const withRetryAfter = total(METRICS.retryAfter);
      const refusals = overload.samples.map((s) => s.refusals);
      const refused = refusals.some((value) => value === undefined)
        ? 'not counted (PostgreSQL)'
        : String(refusals.reduce((sum, v) => sum! + v!, 0));
      const p99 = medianOf(overload, METRICS.p99);
      return `- ${HTTP_VARIANTS[overload.variant]}, ${overloadLabel(overload)}: answered 200/s ${(medianOf(overload, METRICS.goodput) / peak).toFixed(2)}× its peak in the clients sweep (${Math.round(peak).toLocaleString('en-US')}/s); p99 ${p99.toFixed(0)} ms (${p99 <= ACQUIRE_TIMEOUT_MS ? 'within' : 'beyond'} leakproof's acquireTimeout, ${ACQUIRE_TIMEOUT_MS} ms); peak DB sessions ${medianOf(overload, METRICS.sessions)}; DB refusals ${refused}; 503s ${shed.toLocaleString('en-US')}${shed === 0 ? '' : withRetryAfter === shed ? ', every one with Retry-After' : `, ${withRetryAfter.toLocaleString('en-US')} with Retry-After`}; other errors ${total(METRICS.otherErrors)}.`;
    });
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

function path(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

function write(name: string, text: string): void {
  writeFileSync(path(name), text);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
