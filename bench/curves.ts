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
 * Writes bench/curves.md, bench/curves.json and bench/curves.svg, and puts the figures into
 * bench/results.md too (below the main bench's, rewritten from bench/results.json).
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig, type BenchConfig } from './config.js';
import { curvesMarkdown, curvesPanels, OVERLOAD_POOL, type Measured, type Meta, type Point, type Sample } from './curves-report.js';
import { curvesSvg } from './curves-svg.js';
import { hasResults, writeResultsMarkdown } from './results-file.js';
import { prepareMysql, preparePostgres } from './data.js';
import { measure } from './http-run.js';
import { isVariantName, type VariantName } from './http-variants.js';
import { buildLeakproof } from './leakproof-build.js';
import { watchSessions } from './server-sessions.js';

const CLIENTS = [16, 64, 256, 1024] as const;
const POOLS = [2, 10, 50] as const;
const PROCESSES = [1, 2] as const;
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
const DEFAULT_VARIANTS: readonly VariantName[] = ['raw-mysql2', 'leakproof-mysql2', 'raw-pg', 'leakproof-pg'];

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

function render(measured: Measured): void {
  write('curves.md', curvesMarkdown(measured));
  write('curves.svg', curvesSvg(curvesPanels(measured)));
  log('wrote bench/curves.md and bench/curves.svg');
  if (!hasResults()) return;
  writeResultsMarkdown();
  log('rewrote bench/results.md with these curves');
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
