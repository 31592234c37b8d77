/**
 * False positives and negatives of the probe's verdict: runs every fixture of the verdict tests
 * (test/support/probe-fixture-suite.ts: Node and Python servers, correct and leaky) N times per
 * engine, with no flag but --db, and counts the verdicts that were wrong.
 *
 *   node --import tsx bench/probe-verdicts.ts [runs per fixture, default 10] [--defaults-too] [mariadb|postgres]
 *
 * The short runs of the tests by default (the three cases run with the probe's defaults take
 * 30-60 s each and are left out unless --defaults-too). Four runs at a time on one throwaway
 * server per engine. Prints a Markdown table: fixture, expected, runs, wrong per engine, and
 * the median time per run.
 *
 * @module
 */
import { startServer } from '../test/harness/start-server.js';
import type { Engine } from '../test/harness/test-server.js';
import { CASES, runCase, type Case } from '../test/support/probe-fixture-suite.js';

const RUNS = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 10);
const WITH_DEFAULTS = process.argv.includes('--defaults-too');
const PARALLEL = 4;
const ENGINES = (['mariadb', 'postgres'] as const).filter(
  (engine) => !process.argv.some((arg) => /^(mariadb|postgres)$/.test(arg)) || process.argv.includes(engine),
);
/** Room for four never-closing fixtures at once (each keeps ~190 open by design). */
const MAX_CONNECTIONS = 1000;

interface Tally {
  wrong: number;
  runs: number;
  times: number[];
  seen: Map<string, number>;
}

async function main(): Promise<void> {
  const cases = CASES.filter((testCase) => WITH_DEFAULTS || testCase.defaults !== true);
  const tallies = new Map<string, Map<Engine, Tally>>();
  for (const engine of ENGINES) {
    const server = await startServer(engine, { maxConnections: MAX_CONNECTIONS });
    try {
      const jobs = cases.flatMap((testCase, index) =>
        Array.from({ length: RUNS }, (_, run) => ({ testCase, database: `fxb_${index}_${run}` })),
      );
      await inParallel(jobs, PARALLEL, async ({ testCase, database }) => {
        const began = Date.now();
        // A run that fails (the probe's own PROBE_UNREACHABLE, say) counts as wrong, named by its code.
        const kind = await runCase(server, testCase, database).then(
          (result) => result.verdict.kind,
          (error: unknown) => `error ${(error as { code?: string }).code ?? 'unknown'}`,
        );
        const tally = tallyOf(tallies, testCase, engine);
        tally.runs++;
        tally.times.push(Date.now() - began);
        tally.seen.set(kind, (tally.seen.get(kind) ?? 0) + 1);
        if (kind !== testCase.expected) tally.wrong++;
        process.stderr.write(`${engine} ${testCase.name}: ${kind}\n`);
      });
    } finally {
      await server.stop();
    }
  }
  process.stdout.write(table(cases, tallies));
}

function tallyOf(tallies: Map<string, Map<Engine, Tally>>, testCase: Case, engine: Engine): Tally {
  const byEngine = tallies.get(testCase.name) ?? new Map<Engine, Tally>();
  tallies.set(testCase.name, byEngine);
  const tally = byEngine.get(engine) ?? { wrong: 0, runs: 0, times: [], seen: new Map() };
  byEngine.set(engine, tally);
  return tally;
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) await work(items[index]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function table(cases: readonly Case[], tallies: Map<string, Map<Engine, Tally>>): string {
  const lines = [
    '| fixture | expected | MariaDB: wrong / runs | PostgreSQL: wrong / runs | median s per run |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const testCase of cases) {
    const byEngine = tallies.get(testCase.name);
    const cell = (engine: Engine): string => {
      const tally = byEngine?.get(engine);
      if (tally === undefined) return '—';
      const others = [...tally.seen]
        .filter(([kind]) => kind !== testCase.expected)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(', ');
      return `${tally.wrong} / ${tally.runs}${others === '' ? '' : ` (${others})`}`;
    };
    const times = [...(byEngine?.values() ?? [])].flatMap((tally) => tally.times).sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? 0;
    lines.push(`| ${testCase.name} | ${testCase.expected} | ${cell('mariadb')} | ${cell('postgres')} | ${(median / 1000).toFixed(1)} |`);
  }
  return `${lines.join('\n')}\n`;
}

await main();
