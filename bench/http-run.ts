/**
 * Drives the HTTP part: per round, every variant once, each in a fresh server process with a
 * fresh load generator process. Raw and leakproof variants of one driver run back to back
 * (ABBA across rounds), and the driver order rotates per round, so the two sides of every
 * raw/leakproof ratio are measured seconds apart, and neither always goes first. The ORM peers
 * of each engine (no leakproof counterpart) run back to back as one more group in the rotation.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ask, forkScript, nextMessage, stopChild, type Message } from './child.js';
import { databaseCpuUs, listeningPids } from './database-cpu.js';
import { ITEM_COUNT, type BenchConfig } from './config.js';
import { DEFAULT_HTTP_VARIANTS, HTTP_VARIANTS, type VariantName } from './http-variants.js';
import type { VariantSettings } from './variant.js';
import type { LoadResult, LoadSettings } from './load.js';

export interface HttpSample extends LoadResult {
  readonly round: number;
  /** Server CPU time (user + system, all threads) per request it received in the window. */
  readonly serverCpuUsPerRequest: number;
  /** The databases' CPU time (all their processes, database-cpu.ts) per request the server received in the window. */
  readonly databaseCpuUsPerRequest: number;
  /** Server CPU in % of one core during the window. */
  readonly serverCpuPercent: number;
  /**
   * The whole machine's CPU busy in % of all cores during the window (Linux /proc/stat), ours
   * and the other tenants'. Near 100 % means the variants were fighting for cores.
   */
  readonly machineBusyPercent: number;
}

export interface HttpVariantResult {
  readonly name: VariantName;
  readonly label: string;
  readonly samples: HttpSample[];
}

/**
 * The pairs compared: per driver the raw pool, the raw pool inside AsyncLocalStorage.run, and
 * leakproof/http; per framework its raw-pool handler and its leakproof adapter; per query
 * builder its own raw pool and leakproof under it.
 */
export interface HttpGroup {
  readonly raw: VariantName;
  readonly rawAls?: VariantName;
  /** The raw pool holding the connection for the whole request, as leakproof does. */
  readonly rawHeld?: VariantName;
  readonly leakproof: VariantName;
  /** leakproof with and without its statement cache (one of them is `leakproof`): the cache's own effect. */
  readonly statementCache?: { readonly on: VariantName; readonly off: VariantName };
}

export const HTTP_GROUPS: readonly HttpGroup[] = [
  {
    raw: 'raw-mysql2',
    rawAls: 'raw-mysql2-als',
    leakproof: 'leakproof-mysql2',
    statementCache: { on: 'leakproof-mysql2-cached', off: 'leakproof-mysql2' },
  },
  { raw: 'raw-mariadb', rawAls: 'raw-mariadb-als', leakproof: 'leakproof-mariadb' },
  {
    raw: 'raw-pg',
    rawAls: 'raw-pg-als',
    rawHeld: 'raw-pg-held',
    leakproof: 'leakproof-pg',
    statementCache: { on: 'leakproof-pg', off: 'leakproof-pg-uncached' },
  },
  { raw: 'raw-mysql2-per-request', leakproof: 'leakproof-mysql2-per-request' },
  {
    raw: 'raw-pg-per-request',
    leakproof: 'leakproof-pg-per-request',
    statementCache: { on: 'leakproof-pg-per-request', off: 'leakproof-pg-per-request-uncached' },
  },
  { raw: 'raw-fastify', leakproof: 'leakproof-fastify' },
  { raw: 'raw-express', leakproof: 'leakproof-express' },
  { raw: 'raw-hono', leakproof: 'leakproof-hono' },
  { raw: 'raw-kysely', rawAls: 'raw-kysely-als', leakproof: 'leakproof-kysely' },
  { raw: 'raw-drizzle', rawAls: 'raw-drizzle-als', leakproof: 'leakproof-drizzle' },
  { raw: 'raw-kysely-pg', leakproof: 'leakproof-kysely-pg' },
  { raw: 'raw-drizzle-pg', leakproof: 'leakproof-drizzle-pg' },
];

/**
 * Per engine, what a user would pick instead of leakproof (raw pools, query builders on their
 * own pools, ORMs), each compared with that engine's leakproof/http row in the report.
 */
export interface EnginePeers {
  readonly engine: string;
  readonly leakproof: VariantName;
  readonly peers: readonly VariantName[];
}

export const PEERS: readonly EnginePeers[] = [
  {
    engine: 'MySQL/MariaDB',
    leakproof: 'leakproof-mysql2',
    peers: ['raw-mysql2', 'raw-mariadb', 'raw-kysely', 'raw-drizzle', 'typeorm-mysql', 'sequelize-mysql', 'mikroorm-mysql'],
  },
  {
    engine: 'PostgreSQL',
    leakproof: 'leakproof-pg',
    peers: ['raw-pg', 'raw-kysely-pg', 'raw-drizzle-pg', 'typeorm-pg', 'sequelize-pg', 'mikroorm-pg'],
  },
];

interface Snapshot extends Message {
  readonly cpuUs: number;
  readonly received: number;
  readonly at: number;
}

const START_TIMEOUT_MS = 30_000;
const SNAPSHOT_TIMEOUT_MS = 5_000;
const SLACK_MS = 30_000;
const ignore = (): void => {};

export async function runHttp(config: BenchConfig, log: (line: string) => void): Promise<HttpVariantResult[]> {
  const wanted: readonly string[] = config.httpVariants ?? DEFAULT_HTTP_VARIANTS;
  const selected = (name: VariantName): boolean => wanted.includes(name);
  const unknown = (config.httpVariants ?? []).filter((name) => !Object.hasOwn(HTTP_VARIANTS, name));
  if (unknown.length > 0)
    throw new Error(`unknown BENCH_HTTP_VARIANTS: ${unknown.join(', ')} (known: ${Object.keys(HTTP_VARIANTS).join(', ')})`);
  const results = new Map<VariantName, HttpVariantResult>();
  for (const name of Object.keys(HTTP_VARIANTS) as VariantName[]) {
    if (selected(name)) results.set(name, { name, label: HTTP_VARIANTS[name], samples: [] });
  }
  for (let round = 0; round < config.httpRounds; round++) {
    for (const name of schedule(round).filter(selected)) {
      log(`http: round ${round + 1}/${config.httpRounds}, ${HTTP_VARIANTS[name]}`);
      results.get(name)!.samples.push(await measure(name, round, config));
    }
  }
  return [...results.values()];
}

/**
 * Group order rotates by round; within a group, the variants' order reverses every round. The
 * peers that belong to no group (the ORMs) form one more group per engine, rotated the same way.
 */
export function schedule(round: number): VariantName[] {
  const groups = scheduledGroups();
  const order: VariantName[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = [...groups[(round + i) % groups.length]!];
    order.push(...(round % 2 === 0 ? group : group.reverse()));
  }
  return order;
}

function scheduledGroups(): VariantName[][] {
  const grouped = HTTP_GROUPS.map(({ raw, rawAls, rawHeld, leakproof, statementCache }) =>
    [...new Set([raw, rawAls, rawHeld, leakproof, statementCache?.on, statementCache?.off])].filter(
      (name): name is VariantName => name !== undefined,
    ),
  );
  const inGroups = new Set(grouped.flat());
  const peerGroups = PEERS.map(({ peers }) => peers.filter((name) => !inGroups.has(name))).filter((peers) => peers.length > 0);
  return [...grouped, ...peerGroups];
}

export async function measure(name: VariantName, round: number, config: BenchConfig): Promise<HttpSample> {
  const settings: VariantSettings = {
    mysqlUrl: config.mysqlUrl,
    pgUrl: config.pgUrl,
    poolSize: config.poolSize,
    maxWaiting: config.maxWaiting,
    holdOffShed: config.holdOffShed,
  };
  const server = forkScript(
    'http-server.ts',
    [name, JSON.stringify(settings), String(config.processes)],
    profileFlags(config, name, round),
  );
  try {
    const { port } = await nextMessage<Message & { port: number }>(server, 'listening', START_TIMEOUT_MS);
    return await drive(server, port, round, config);
  } finally {
    await stopChild(server, 15_000);
  }
}

async function drive(server: ChildProcess, port: number, round: number, config: BenchConfig): Promise<HttpSample> {
  const settings: LoadSettings = {
    port,
    connections: config.connections,
    warmupMs: config.warmup * 1000,
    measureMs: config.seconds * 1000,
    itemCount: ITEM_COUNT,
    honorRetryAfter: config.honorRetryAfter,
  };
  const load = forkScript('load.ts', [JSON.stringify(settings)]);
  try {
    const total = settings.warmupMs + settings.measureMs + SLACK_MS;
    // Listen for every message before any can arrive; a later one may reject while we await
    // an earlier one, so its rejection is observed (and rethrown where it is awaited).
    const started = nextMessage(load, 'measure-start', total);
    const ended = nextMessage(load, 'measure-end', total);
    const finished = nextMessage<Message & { result: LoadResult }>(load, 'result', total);
    ended.catch(ignore);
    finished.catch(ignore);
    // Found during the warm-up: scanning every process's sockets takes ~20 ms.
    const databases = listeningPids(databasePorts(config));
    await started;
    const machineBefore = machineCpu();
    const databaseBefore = databaseCpuUs(databases);
    const before = await ask<Snapshot>(server, { type: 'snapshot' }, 'snapshot', SNAPSHOT_TIMEOUT_MS);
    await ended;
    const after = await ask<Snapshot>(server, { type: 'snapshot' }, 'snapshot', SNAPSHOT_TIMEOUT_MS);
    const databaseAfter = databaseCpuUs(databases);
    const machineAfter = machineCpu();
    const { result } = await finished;
    const cpuUs = after.cpuUs - before.cpuUs;
    return {
      ...result,
      round,
      serverCpuUsPerRequest: cpuUs / Math.max(1, after.received - before.received),
      databaseCpuUsPerRequest: (databaseAfter - databaseBefore) / Math.max(1, after.received - before.received),
      serverCpuPercent: (cpuUs / 1000 / (after.at - before.at)) * 100,
      machineBusyPercent: ((machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)) * 100,
    };
  } finally {
    await stopChild(load, 5_000);
  }
}

/** The ports of the bench's two databases (their URLs' defaults 3306 and 5432). */
function databasePorts(config: BenchConfig): number[] {
  return [new URL(config.mysqlUrl).port || '3306', new URL(config.pgUrl).port || '5432'].map(Number);
}

/** Busy and total CPU ticks of all cores since boot; zeros where /proc/stat is missing. */
function machineCpu(): { busy: number; total: number } {
  let line: string;
  try {
    line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
  } catch {
    return { busy: 0, total: 0 };
  }
  // cpu  user nice system idle iowait irq softirq steal …: idle and iowait are the idle time.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}

function profileFlags(config: BenchConfig, name: VariantName, round: number): string[] {
  if (config.cpuProfileDir === undefined) return [];
  // A directory per server and default file names: tsx's loader thread writes a profile too,
  // and a fixed --cpu-prof-name would let it overwrite the main thread's.
  return ['--cpu-prof', `--cpu-prof-dir=${join(config.cpuProfileDir, `${name}-round${round + 1}`)}`];
}
