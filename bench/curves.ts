/**
 * Cost curves: how req/s, latency and the server's CPU per request move as the work grows.
 * Two sweeps over `GET /item?id=N`, each point a fresh server process and load generator (as in
 * `npm run bench`), the rounds interleaved so every point of a round shares the machine's mood:
 *
 *   clients 16 / 64 / 256 / 1024 with pools of 10;
 *   pools of 2 / 10 / 50 with 64 clients.
 *
 * For leakproof/http and the raw pool of each engine. With 1024 clients on a pool of 10 more
 * requests wait than leakproof's default `maxWaiting` (1000) allows: the excess is answered 503
 * `QUEUE_FULL` at once, counted as errors, by design.
 *
 *   npm run bench:curves     CURVES_ROUNDS=2  CURVES_SECONDS=5  CURVES_VARIANTS=raw-pg,leakproof-pg,…
 *
 * Writes bench/curves.md, bench/curves.json and bench/curves.svg (req/s and p99 against clients).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig, type BenchConfig } from './config.js';
import { curvesSvg, type Curve } from './curves-svg.js';
import { prepareMysql, preparePostgres } from './data.js';
import { measure, type HttpSample } from './http-run.js';
import { HTTP_VARIANTS, isVariantName, type VariantName } from './http-variants.js';
import { buildLeakproof } from './leakproof-build.js';
import { median } from './stats.js';

const CLIENTS = [16, 64, 256, 1024] as const;
const POOLS = [2, 10, 50] as const;
const DEFAULT_VARIANTS: readonly VariantName[] = ['raw-mysql2', 'leakproof-mysql2', 'raw-pg', 'leakproof-pg'];

interface Point {
  readonly variant: VariantName;
  readonly clients: number;
  readonly pool: number;
  readonly samples: HttpSample[];
}

const log = (line: string): void => {
  process.stderr.write(`[curves ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function main(): Promise<void> {
  const base = readConfig();
  const rounds = Number(process.env['CURVES_ROUNDS'] ?? 2);
  const seconds = Number(process.env['CURVES_SECONDS'] ?? 5);
  const variants = readVariants(process.env['CURVES_VARIANTS']);
  buildLeakproof();
  await prepareMysql(base.mysqlUrl);
  await preparePostgres(base.pgUrl);
  const points = [
    ...variants.flatMap((variant) => CLIENTS.map((clients) => newPoint(variant, clients, 10))),
    ...variants.flatMap((variant) => POOLS.filter((pool) => pool !== 10).map((pool) => newPoint(variant, 64, pool))),
  ];
  const started = Date.now();
  for (let round = 0; round < rounds; round++) {
    // Reversed every other round, so no point always runs first or last.
    for (const point of round % 2 === 0 ? points : [...points].reverse()) {
      log(`round ${round + 1}/${rounds}: ${point.variant}, ${point.clients} clients, pool ${point.pool}`);
      const config: BenchConfig = { ...base, seconds, connections: point.clients, poolSize: point.pool };
      point.samples.push(await measure(point.variant, round, config));
    }
  }
  const meta = {
    date: new Date(started).toISOString(),
    node: process.versions.node,
    rounds,
    seconds,
    minutes: (Date.now() - started) / 60_000,
  };
  write('curves.json', `${JSON.stringify({ meta, points }, null, 2)}\n`);
  write('curves.md', renderMarkdown(meta, points));
  write('curves.svg', curvesSvg(clientCurves(points, variants)));
  log('wrote bench/curves.md, bench/curves.json and bench/curves.svg');
}

function newPoint(variant: VariantName, clients: number, pool: number): Point {
  return { variant, clients, pool, samples: [] };
}

function readVariants(text: string | undefined): readonly VariantName[] {
  if (text === undefined || text === '') return DEFAULT_VARIANTS;
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isVariantName(name));
  if (unknown.length > 0) throw new Error(`unknown CURVES_VARIANTS: ${unknown.join(', ')}`);
  return names as VariantName[];
}

function clientCurves(points: readonly Point[], variants: readonly VariantName[]): Curve[] {
  return variants.map((variant) => ({
    label: HTTP_VARIANTS[variant],
    points: points
      .filter((point) => point.variant === variant && point.pool === 10)
      .map((point) => ({ x: point.clients, rps: medianOf(point, 'rps'), p99Ms: medianOf(point, 'p99Ms') })),
  }));
}

function medianOf(point: Point, key: 'rps' | 'p50Ms' | 'p99Ms' | 'serverCpuUsPerRequest' | 'errors' | 'machineBusyPercent'): number {
  return median(point.samples.map((sample) => sample[key]));
}

function renderMarkdown(
  meta: { date: string; node: string; rounds: number; seconds: number; minutes: number },
  points: readonly Point[],
): string {
  const row = (point: Point): string =>
    `| ${HTTP_VARIANTS[point.variant]} | ${point.clients} | ${point.pool} | ${fmt(medianOf(point, 'rps'))} | ${medianOf(point, 'p50Ms').toFixed(1)} | ${medianOf(point, 'p99Ms').toFixed(1)} | ${medianOf(point, 'serverCpuUsPerRequest').toFixed(1)} | ${fmt(medianOf(point, 'errors'))} | ${Math.round(medianOf(point, 'machineBusyPercent'))} % |`;
  const header =
    '| variant | clients | pool | req/s | p50 ms | p99 ms | server CPU µs/req | errors (503s) | machine busy |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  return [
    '# Cost curves',
    '',
    `${meta.date} · Node ${meta.node} · ${meta.rounds} interleaved rounds × (2 s warm-up + ${meta.seconds} s) per point · ${meta.minutes.toFixed(1)} min. Medians over rounds. \`GET /item?id=N\`, one primary-key SELECT. The machine has 2 cores shared by the server, the load generator and the database, so the curves show where each stack saturates, not a production ceiling.`,
    '',
    '![req/s and p99 against clients](curves.svg)',
    '',
    '## Clients (pools of 10)',
    '',
    header,
    ...points.filter((point) => point.pool === 10).map(row),
    '',
    '## Pool size (64 clients)',
    '',
    header,
    ...points
      .filter((point) => point.clients === 64)
      .sort((a, b) => a.variant.localeCompare(b.variant) || a.pool - b.pool)
      .map(row),
    '',
  ].join('\n');
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function write(name: string, text: string): void {
  writeFileSync(fileURLToPath(new URL(name, import.meta.url)), text);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
