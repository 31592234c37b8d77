/**
 * `npm run bench`: leakproof's overhead next to the raw driver pools, on this machine, now.
 *
 * 1. In-process: scope overhead, and scope + lease + one query against each driver's own pool
 *    (bench/micro-*.ts), in two worker processes.
 * 2. HTTP: `GET /item?id=N` served by raw pools and by leakproof/http, each in its own server
 *    process under a separate load generator (bench/http-*.ts, bench/load.ts).
 *
 * Progress goes to stderr; the markdown report to stdout, bench/results.md and, with every
 * per-round number, bench/results.json (results.md also shows the last cost curves, bench/results-file.ts);
 * `npm run bench -- --render` only rewrites results.md. Settings come from the environment (bench/config.ts).
 * Not part of the test suite: nothing here asserts a timing.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfig } from './config.js';
import { prepareMysql, preparePostgres, TABLE } from './data.js';
import { runHttp } from './http-run.js';
import { DEFAULT_HTTP_VARIANTS } from './http-variants.js';
import { buildLeakproof } from './leakproof-build.js';
import { runMicro } from './micro-run.js';
import type { BenchResults } from './report.js';
import { writeResultsMarkdown } from './results-file.js';

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function main(): Promise<void> {
  if (process.argv.includes('--render')) {
    writeResultsMarkdown();
    log('rewrote bench/results.md from bench/results.json and bench/curves.json');
    return;
  }
  const config = readConfig();
  const startedAt = Date.now();
  const loadAverageBefore = os.loadavg();
  log(`settings: ${JSON.stringify({ ...config, parts: [...config.parts] })}`);
  const dist = config.fromSource ? undefined : buildLeakproof();
  // Read when the code is built, not when the run ends: src/ may change while the run goes on.
  const commit = sourceCommit(dist);
  const leakproofFrom = dist === undefined ? 'src/ through tsx (BENCH_FROM_SOURCE=1)' : `src/ compiled by tsc into ${dist}`;
  log(`leakproof: ${leakproofFrom}`);

  if (config.parts.has('http')) {
    log(`${TABLE} on MySQL/MariaDB: ${await prepareMysql(config.mysqlUrl)}; on PostgreSQL: ${await preparePostgres(config.pgUrl)}`);
  }
  const micro = config.parts.has('micro') ? await runMicro(config, log) : undefined;
  const http = config.parts.has('http') ? await runHttp(config, log) : undefined;

  const cpus = os.cpus();
  const results: BenchResults = {
    meta: {
      date: new Date(startedAt).toISOString(),
      node: process.versions.node,
      cpus: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
      loadAverageBefore,
      loadAverageAfter: os.loadavg(),
      durationSeconds: (Date.now() - startedAt) / 1000,
      leakproof: leakproofFrom,
      commit,
      settings: {
        httpRounds: config.httpRounds,
        seconds: config.seconds,
        warmup: config.warmup,
        connections: config.connections,
        microRounds: config.microRounds,
        poolSize: config.poolSize,
        parts: [...config.parts],
        httpVariants: config.httpVariants ?? DEFAULT_HTTP_VARIANTS,
      },
    },
    micro,
    http,
  };
  writeFileSync(fileURLToPath(new URL('results.json', import.meta.url)), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = writeResultsMarkdown(results);
  process.stdout.write(markdown);
  log('wrote bench/results.md and bench/results.json');
}

/**
 * The commit measured, and whether the files it is built from had uncommitted changes (others
 * may be editing src/ while the bench runs). From source, all of src/ counts.
 */
function sourceCommit(dist: string | undefined): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const git = (...args: string[]): string => {
    const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : '';
  };
  const head = git('rev-parse', '--short', 'HEAD');
  if (head === '') return 'unknown commit';
  const sources =
    dist === undefined
      ? ['src']
      : readdirSync(dist, { recursive: true, encoding: 'utf8' })
          .filter((file) => file.endsWith('.js'))
          .map((file) => join('src', file.replace(/\.js$/, '.ts')));
  return git('status', '--porcelain', '--', ...sources) === '' ? head : `${head} + uncommitted changes`;
}

await main();
