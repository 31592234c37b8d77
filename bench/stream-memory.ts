/**
 * `node --import tsx bench/stream-memory.ts`: memory while 1,000,000 rows go through
 * `db.stream()` into a sink, next to the same rows fetched whole with `db.query()`, for each
 * driver (mysql2 and mariadb on MariaDB, pg on PostgreSQL, better-sqlite3). The rows are made
 * by the server (`seq_1_to_1000000`, `generate_series`, a recursive CTE), each `n` plus a
 * 100-character string. Every measurement runs in a fresh child process (RSS never shrinks),
 * which connects first, collects garbage for a baseline, then samples `process.memoryUsage()`
 * every 5 ms and every 10,000 rows; the table shows the peak over the baseline.
 *
 *   BENCH_MYSQL_URL, BENCH_PG_URL   servers to use; unset: throwaway servers from the test harness
 *   STREAM_ROWS=1000000             rows per run
 *   STREAM_TARGETS=mysql2,pg        drivers to run (default all four)
 *
 * Not part of the test suite: nothing here asserts anything.
 *
 * @module
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createDatabases, type AliasOptions, type Row } from '../src/index.js';
import { startServer } from '../test/harness/start-server.js';
import type { TestServer } from '../test/harness/test-server.js';
import { rowsSql } from '../test/support/streaming.js';

type Target = 'mysql2' | 'mariadb' | 'pg' | 'better-sqlite3';
type Mode = 'stream' | 'fetch-all';

const TARGETS: readonly Target[] = ['mysql2', 'mariadb', 'pg', 'better-sqlite3'];
const PAD = 100;
const SAMPLE_MS = 5;
const MB = 1024 * 1024;

interface Measurement {
  readonly target: Target;
  readonly mode: Mode;
  readonly rows: number;
  readonly ms: number;
  readonly baseRss: number;
  readonly baseHeap: number;
  readonly peakRss: number;
  readonly peakHeap: number;
}

interface Job {
  readonly target: Target;
  readonly mode: Mode;
  readonly url: string;
  readonly rows: number;
}

// ---------------------------------------------------------------- child: one measurement

async function measure(job: Job): Promise<Measurement> {
  const alias: AliasOptions = {
    url: job.url,
    maxConnections: 1,
    maxLifetime: 600_000,
    ...(job.target === 'mysql2' || job.target === 'mariadb' ? { client: job.target } : {}),
  };
  const dbs = createDatabases({ default: alias });
  const db = dbs.get();
  const engine = job.target === 'pg' ? 'postgres' : job.target === 'better-sqlite3' ? 'sqlite' : 'mariadb';
  const sql = rowsSql(engine, job.rows, PAD);
  await dbs.run(() => db.query('SELECT 1 AS warm')); // connect and load the driver before the baseline
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sample = (): void => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  let count = 0;
  const sink = (row: Row): void => {
    if (typeof row['pad'] !== 'string') throw new Error('a row without its pad');
    if (++count % 10_000 === 0) sample();
  };
  const started = performance.now();
  await dbs.run(async () => {
    if (job.mode === 'stream') {
      const writable = new Writable({
        objectMode: true,
        write: (row: Row, _encoding, done) => {
          sink(row);
          done();
        },
      });
      await pipeline(db.stream(sql, [], { batchSize: 100 }), writable);
    } else {
      const rows = await db.query(sql);
      sample(); // the whole result is alive right here
      for (const row of rows) sink(row);
    }
  });
  const ms = performance.now() - started;
  clearInterval(sampler);
  sample();
  await dbs.close();
  if (count !== job.rows) throw new Error(`${job.target} ${job.mode}: ${count} rows of ${job.rows}`);
  return { target: job.target, mode: job.mode, rows: count, ms, baseRss: base.rss, baseHeap: base.heapUsed, peakRss, peakHeap };
}

// ---------------------------------------------------------------- parent: servers, children, table

function runChild(job: Job): Promise<Measurement> {
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: Measurement) => resolve(message));
    child.once('exit', (code) => reject(new Error(`${job.target} ${job.mode}: the child exited with ${String(code)} before reporting`)));
  });
}

async function servers(targets: readonly Target[]): Promise<{ mysql: string; pg: string; stop(): Promise<void> }> {
  const started: TestServer[] = [];
  const url = async (env: string, engine: 'mariadb' | 'postgres', needed: boolean): Promise<string> => {
    const given = process.env[env];
    if (given !== undefined && given !== '') return given;
    if (!needed) return '';
    const server = await startServer(engine, {});
    started.push(server);
    return server.url;
  };
  const mysql = await url('BENCH_MYSQL_URL', 'mariadb', targets.includes('mysql2') || targets.includes('mariadb'));
  const pg = await url('BENCH_PG_URL', 'postgres', targets.includes('pg'));
  return { mysql, pg, stop: async () => void (await Promise.all(started.map((server) => server.stop()))) };
}

const mb = (bytes: number): string => (bytes / MB).toFixed(1);

function render(results: readonly Measurement[]): string {
  const head =
    '| driver | mode | rows | seconds | rss baseline → peak (MB) | heapUsed baseline → peak (MB) | peak over baseline: rss / heap (MB) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |';
  const lines = results.map(
    (r) =>
      `| ${r.target} | ${r.mode} | ${r.rows.toLocaleString('en')} | ${(r.ms / 1000).toFixed(2)} | ${mb(r.baseRss)} → ${mb(r.peakRss)} | ${mb(r.baseHeap)} → ${mb(r.peakHeap)} | **${mb(r.peakRss - r.baseRss)} / ${mb(r.peakHeap - r.baseHeap)}** |`,
  );
  return [head, ...lines].join('\n');
}

async function main(): Promise<void> {
  const rows = Number(process.env['STREAM_ROWS'] ?? 1_000_000);
  const wanted = (process.env['STREAM_TARGETS'] ?? '').split(',').filter((name) => name !== '');
  const targets = wanted.length === 0 ? TARGETS : TARGETS.filter((target) => wanted.includes(target));
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-stream-bench-'));
  const running = await servers(targets);
  const results: Measurement[] = [];
  try {
    for (const target of targets) {
      const url = target === 'pg' ? running.pg : target === 'better-sqlite3' ? `sqlite:${join(dir, 'bench.sqlite3')}` : running.mysql;
      for (const mode of ['stream', 'fetch-all'] as const) {
        process.stderr.write(`[stream-memory] ${target} ${mode} ...\n`);
        results.push(await runChild({ target, mode, url, rows }));
      }
    }
  } finally {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `Node ${process.version}, ${rows.toLocaleString('en')} rows of (n, ${PAD}-character string), batchSize 100\n\n${render(results)}\n`,
  );
}

if (process.argv[2] === '--child') {
  const job = JSON.parse(process.argv[3]!) as Job;
  measure(job).then(
    (result) => {
      process.send!(result);
      process.disconnect();
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
