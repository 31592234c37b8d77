/**
 * What the `diagnostics_channel` events cost: the same in-process loop on leakproof before the
 * events existed (a copy of an older src/, optional), on the current src/ with nobody
 * subscribed, and on the current src/ with a subscriber on every channel.
 *
 *   node --import tsx bench/events-cost.ts [--base path/to/old/src] [--rounds 7] [--ops 20000]
 *
 * Two loops on a SQLite file, one operation awaited after another:
 *
 * - `reuse`: `dbs.run(() => db.query('SELECT 1'))` on a persistent pool: the fast path
 *   (synchronous idle take, release, recycle), where an event check costs most relatively;
 * - `connect`: the same with `maxLifetime: 0`, so every operation opens and closes a
 *   connection (connect, acquire, release, close events).
 *
 * Each variant runs in a fresh process, compiled by tsc like users run it (see
 * leakproof-build.ts for why not through tsx), and variants alternate round by round so drift
 * on the machine hits all alike. Each process reports the CPU time (not wall time: the machine
 * is shared) of its fastest batch. Prints the median ns per operation and the range. Not a test:
 * nothing asserts a timing.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { compileSources } from './leakproof-build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = ['reuse', 'connect'] as const;
/** Batches per scenario in each child; the fastest counts. */
const BATCHES = 5;
type Scenario = (typeof SCENARIOS)[number];

interface Variant {
  readonly name: string;
  readonly dist: string;
  readonly subscribe: boolean;
}

/** One child: warm up, then time batches of `ops` operations of each scenario; prints JSON CPU ns/op. */
async function child(dist: string, subscribe: boolean, ops: number): Promise<void> {
  const { createDatabases } = (await import(pathToFileURL(join(dist, 'index.js')).href)) as typeof import('../src/index.js');
  if (subscribe) {
    const { subscribe: on, CHANNELS } = (await import(
      pathToFileURL(join(dist, 'instrumentation', 'channels.js')).href
    )) as typeof import('../src/instrumentation/channels.js');
    let seen = 0;
    for (const kind of Object.keys(CHANNELS) as (keyof typeof CHANNELS)[]) on(kind, () => void seen++);
  }
  const result: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-events-bench-'));
  for (const scenario of SCENARIOS) {
    const url = `sqlite://${join(dir, `${scenario}.sqlite3`)}`;
    const dbs = createDatabases({ default: { url, maxLifetime: scenario === 'connect' ? 0 : 1_800_000 } });
    const db = dbs.get();
    const query = (): Promise<unknown> => db.query('SELECT 1');
    const op = (): Promise<unknown> => dbs.run(query);
    const count = scenario === 'connect' ? Math.ceil(ops / 20) : ops;
    for (let i = 0; i < count; i++) await op();
    // The fastest of several batches: on a shared machine, the others' load only ever adds.
    let best = Infinity;
    for (let batch = 0; batch < BATCHES; batch++) {
      const cpu = process.cpuUsage();
      for (let i = 0; i < count; i++) await op();
      const used = process.cpuUsage(cpu);
      best = Math.min(best, ((used.user + used.system) * 1000) / count);
    }
    result[scenario] = best;
    await dbs.close();
  }
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * The finer comparison of `reuse`: base and current loaded side by side in one process (each
 * with its own pool, scope and AsyncLocalStorage, so both pay the same promise tax), short
 * batches alternating A B B A …, and the median of the per-pair ratios. Drift on a shared
 * machine hits both halves of a pair alike, so the ratio is steadier than either time.
 */
async function pairedChild(baseDist: string, currentDist: string, pairs: number, ops: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-events-paired-'));
  const open = async (dist: string, name: string): Promise<{ op: () => Promise<unknown>; close: () => Promise<void> }> => {
    const { createDatabases } = (await import(pathToFileURL(join(dist, 'index.js')).href)) as typeof import('../src/index.js');
    const dbs = createDatabases({ default: `sqlite://${join(dir, `${name}.sqlite3`)}` });
    const db = dbs.get();
    const query = (): Promise<unknown> => db.query('SELECT 1');
    return { op: () => dbs.run(query), close: () => dbs.close() };
  };
  const sides = [await open(baseDist, 'base'), await open(currentDist, 'current')];
  const batch = async (side: number): Promise<number> => {
    const { op } = sides[side]!;
    const cpu = process.cpuUsage();
    for (let i = 0; i < ops; i++) await op();
    const used = process.cpuUsage(cpu);
    return ((used.user + used.system) * 1000) / ops;
  };
  for (const side of [0, 1, 0, 1]) await batch(side);
  const ratios: number[] = [];
  const times: [number[], number[]] = [[], []];
  for (let pair = 0; pair < pairs; pair++) {
    const first = pair % 2;
    const a = await batch(first);
    const b = await batch(1 - first);
    const [base, current] = first === 0 ? [a, b] : [b, a];
    times[0].push(base);
    times[1].push(current);
    ratios.push(current / base);
  }
  await Promise.all(sides.map((side) => side.close()));
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ base: median(times[0]), current: median(times[1]), ratio: median(ratios), low: quantile(ratios, 0.25), high: quantile(ratios, 0.75) })}\n`,
  );
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function parent(base: string | undefined, rounds: number, ops: number): void {
  // Variant 0 is the base when there is one.
  const entries = ['index.ts', 'instrumentation/channels.ts'];
  const current = compileSources(join(ROOT, 'src'), 'leakproof-events/current', entries);
  const variants: Variant[] = [
    ...(base === undefined
      ? []
      : [
          {
            name: 'before events (base src/)',
            dist: compileSources(resolve(base), 'leakproof-events/base', ['index.ts']),
            subscribe: false,
          },
        ]),
    { name: 'events, no subscribers', dist: current, subscribe: false },
    { name: 'events, every channel subscribed', dist: current, subscribe: true },
  ];
  const times = variants.map(() => Object.fromEntries(SCENARIOS.map((s) => [s, [] as number[]])) as Record<Scenario, number[]>);
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < variants.length; step++) {
      const index = (round + step) % variants.length;
      const variant = variants[index]!;
      const args = [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        variant.dist,
        '--ops',
        String(ops),
        ...(variant.subscribe ? ['--subscribe'] : []),
      ];
      const run = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT });
      if (run.status !== 0) throw new Error(`${variant.name} failed:\n${run.stderr}`);
      const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<Scenario, number>;
      for (const scenario of SCENARIOS) times[index]![scenario].push(result[scenario]);
      process.stderr.write(`round ${round + 1}/${rounds}: ${variant.name} ${JSON.stringify(result)}\n`);
    }
  }
  console.log(
    `\nCPU ns per operation (the process's user + system time; the fastest of ${BATCHES} batches per process), median of ${rounds} processes [min–max], Node ${process.versions.node}\n`,
  );
  console.log(`| variant | ${SCENARIOS.join(' | ')} |\n| --- | ${SCENARIOS.map(() => '---').join(' | ')} |`);
  variants.forEach((variant, index) => {
    const cells = SCENARIOS.map((s) => {
      const values = times[index]![s];
      return `${median(values).toFixed(0)} [${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}]`;
    });
    console.log(`| ${variant.name} | ${cells.join(' | ')} |`);
  });
  if (base !== undefined) printPaired(variants[0]!.dist, current, Math.max(40, rounds * 10), Math.ceil(ops / 10));
}

function printPaired(baseDist: string, currentDist: string, pairs: number, ops: number): void {
  const args = [
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--paired',
    baseDist,
    '--child',
    currentDist,
    '--rounds',
    String(pairs),
    '--ops',
    String(ops),
  ];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT });
  if (run.status !== 0) throw new Error(`the paired run failed:\n${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;
  const pct = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;
  console.log(
    `\nreuse, base and current in one process, ${pairs} alternating pairs of ${ops} ops: base ${result['base']!.toFixed(0)} ns, current without subscribers ${result['current']!.toFixed(0)} ns; current/base median ${pct(result['ratio']!)} (interquartile ${pct(result['low']!)} … ${pct(result['high']!)})`,
  );
}

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    paired: { type: 'string' },
    subscribe: { type: 'boolean', default: false },
    base: { type: 'string' },
    rounds: { type: 'string', default: '7' },
    ops: { type: 'string', default: '20000' },
  },
});
if (values.paired !== undefined) await pairedChild(values.paired, values.child!, Number(values.rounds), Number(values.ops));
else if (values.child !== undefined) await child(values.child, values.subscribe, Number(values.ops));
else parent(values.base, Number(values.rounds), Number(values.ops));
