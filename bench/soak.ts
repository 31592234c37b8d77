/**
 * `npm run bench:soak`: the long mixed soak of issue 12 against throwaway servers. The app runs
 * in a child process (bench/soak-server.ts); the load (test/support/soak/soak-load.ts: 60 %
 * ordinary, 15 % clients leaving mid-query, 5 % throws, 5 % streams cut, 15 % transactions
 * committed, rolled back or left by their client) comes from this process. Every SAMPLE_EVERY
 * requests the app's live heap (after a full GC) is read; the server's own session count is
 * sampled all along. At the end: nothing stuck or leaked, no row of a rolled-back or aborted
 * transaction, no session idle in a transaction, and the heap's trend per 100k requests after
 * the warm-up. Results go to bench/soak-results.md and .json.
 *
 *   SOAK_REQUESTS=1000000  SOAK_ENGINES=mariadb,postgres  SOAK_CONCURRENCY=32  SOAK_SEED=35059
 *   SOAK_SAMPLE_EVERY=50000  SOAK_CANCEL=1 (cancelOnAbort)
 *
 * Not part of the test suite (the short seeded soak is test/soak-*.test.ts).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { countConnections, listConnections } from '../test/harness/count-connections.js';
import { httpGet } from '../test/harness/faults.js';
import { startServer } from '../test/harness/start-server.js';
import type { Engine, TestServer } from '../test/harness/test-server.js';
import { runSoakLoad, SOAK_MIX, type SoakTally } from '../test/support/soak/soak-load.js';
import { ask, forkScript, nextMessage, stopChild } from './child.js';

const REQUESTS = Number(process.env['SOAK_REQUESTS'] ?? 1_000_000);
const ENGINES = (process.env['SOAK_ENGINES'] ?? 'mariadb,postgres').split(',') as Engine[];
const CONCURRENCY = Number(process.env['SOAK_CONCURRENCY'] ?? 32);
const SEED = Number(process.env['SOAK_SEED'] ?? 35059);
const SAMPLE_EVERY = Number(process.env['SOAK_SAMPLE_EVERY'] ?? 50_000);
const CANCEL = process.env['SOAK_CANCEL'] === '1';
/** Samples before this many requests are the warm-up: JIT, pools filling, caches. */
const WARMUP = Math.min(100_000, Math.floor(REQUESTS / 5));

interface HeapSample {
  readonly requests: number;
  readonly heapMB: number;
}

interface SoakResult {
  readonly engine: Engine;
  readonly cancelOnAbort: boolean;
  readonly seconds: number;
  readonly tally: SoakTally;
  readonly heap: readonly HeapSample[];
  /** Least-squares slope of the heap after the warm-up, in MB per 100k requests. */
  readonly heapTrendMBPer100k: number;
  readonly peakSessions: number;
  readonly stats: Record<string, unknown>;
  readonly rows: { commit: number; rollback: number; abort: number };
  readonly idleInTransaction: number;
  readonly sessionsAfter: number;
}

const log = (line: string): void => void process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function soakOne(engine: Engine): Promise<SoakResult> {
  const server = await startServer(engine, { maxConnections: 40 });
  const child = forkScript('soak-server.ts', [engine, server.url, CANCEL ? '1' : '0'], ['--expose-gc']);
  try {
    const { port } = await nextMessage<{ type: string; port: number }>(child, 'ready', 60_000);
    const heap: HeapSample[] = [{ requests: 0, heapMB: await heapMB(port) }];
    const peak = samplePeak(server);
    const started = Date.now();
    const tally = await runSoakLoad({
      port,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      seed: SEED,
      every: SAMPLE_EVERY,
      onProgress: async (done) => {
        heap.push({ requests: done, heapMB: await heapMB(port) });
        log(`${engine}: ${done} requests, heap ${heap.at(-1)!.heapMB.toFixed(1)} MB`);
      },
    });
    const seconds = (Date.now() - started) / 1000;
    const peakSessions = await peak.stop();
    const stats = JSON.parse((await httpGet(port, '/heap')).body) as { stats: { default: Record<string, unknown> } };
    const { rows } = await ask<{ type: string; rows: SoakResult['rows'] }>(child, { type: 'rows' }, 'rows', 30_000);
    const sessions = await listConnections(server);
    return {
      engine,
      cancelOnAbort: CANCEL,
      seconds,
      tally,
      heap,
      heapTrendMBPer100k: trend(heap.filter((s) => s.requests >= WARMUP)),
      peakSessions,
      stats: stats.stats.default,
      rows,
      idleInTransaction: sessions.filter((s) => s.inTransaction).length,
      sessionsAfter: sessions.length,
    };
  } finally {
    await stopChild(child, 10_000);
    await server.stop();
  }
}

async function heapMB(port: number): Promise<number> {
  const body = JSON.parse((await httpGet(port, '/heap', { timeoutMs: 60_000 })).body) as { heapUsed: number };
  return body.heapUsed / 1e6;
}

function samplePeak(server: TestServer): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await countConnections(server));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** MB per 100k requests: the least-squares slope of heap over requests. */
function trend(samples: readonly HeapSample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.requests, 0) / n;
  const my = samples.reduce((a, s) => a + s.heapMB, 0) / n;
  const sxy = samples.reduce((a, s) => a + (s.requests - mx) * (s.heapMB - my), 0);
  const sxx = samples.reduce((a, s) => a + (s.requests - mx) ** 2, 0);
  return sxx === 0 ? 0 : (sxy / sxx) * 100_000;
}

function render(results: readonly SoakResult[]): string {
  const lines = [
    `# Mixed soak (${new Date().toISOString().slice(0, 10)}, ${REQUESTS.toLocaleString('en')} requests per engine, ${CONCURRENCY} clients, seed ${SEED}${CANCEL ? ', cancelOnAbort' : ''})`,
    '',
    `Mix: ${Object.entries(SOAK_MIX)
      .map(([kind, share]) => `${kind} ${share} %`)
      .join(', ')}. Pool of 10, server max_connections 40.`,
    '',
    '| engine | req/s | answered 200 | 500 | 503 | clients left | stuck | leaks | peak sessions on the server | rows: committed / rolled back / aborted | idle in transaction after | heap start → end (MB) | heap trend after warm-up (MB / 100k) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|',
  ];
  for (const r of results) {
    const { tally } = r;
    lines.push(
      `| ${r.engine} | ${Math.round(tally.requests / r.seconds)} | ${tally.ok} | ${tally.serverErrors} | ${tally.unavailable} | ${tally.left} | ${tally.stuck} | ${String(r.stats['leaks'])} | ${r.peakSessions} | ${r.rows.commit} (of ${tally.committed} answered) / ${r.rows.rollback} / ${r.rows.abort} | ${r.idleInTransaction} | ${r.heap[0]!.heapMB.toFixed(1)} → ${r.heap.at(-1)!.heapMB.toFixed(1)} | ${r.heapTrendMBPer100k.toFixed(2)} |`,
    );
  }
  lines.push('', 'Heap samples (requests: MB):', '');
  for (const r of results) lines.push(`- ${r.engine}: ${r.heap.map((s) => `${s.requests}: ${s.heapMB.toFixed(1)}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

const results: SoakResult[] = [];
for (const engine of ENGINES) {
  log(`${engine}: ${REQUESTS} requests`);
  results.push(await soakOne(engine));
}
const name = CANCEL ? 'soak-results-cancel' : 'soak-results';
writeFileSync(new URL(`${name}.json`, import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL(`${name}.md`, import.meta.url), render(results));
process.stdout.write(render(results));
