/**
 * `node --import tsx bench/shutdown-time.ts`: how long a graceful shutdown takes until the
 * database itself counts no connection of the app, for every adapter on MariaDB and
 * PostgreSQL. Each run has 20 requests in flight: 10 whose statement ends within the deadline
 * (300 ms) and 10 whose statement runs 5 s, past it. `gracefulShutdown(server, dbs,
 * { deadline: 1000, closeGracePeriod: 2000 })` is called once all 20 statements run on the
 * server; the server's own count (PROCESSLIST / pg_stat_activity) is polled every 50 ms.
 * Once without `cancelOnAbort` (the long statements hold their connections until
 * `dbs.close()`'s grace period ends and they are cancelled and destroyed) and once with it
 * (they are cancelled at the deadline).
 *
 *   SHUTDOWN_ENGINES=mariadb,postgres   SHUTDOWN_ADAPTERS=node:http,fastify,express,hono   (defaults: all)
 *
 * Throwaway servers from the test harness. Not part of the test suite: nothing here asserts.
 *
 * @module
 */
import { gracefulShutdown } from '../src/adapters/shared/graceful-shutdown.js';
import { createDatabases } from '../src/index.js';
import { countConnections } from '../test/harness/count-connections.js';
import { httpGet } from '../test/harness/faults.js';
import { startServer } from '../test/harness/start-server.js';
import type { Engine, TestServer } from '../test/harness/test-server.js';
import { ADAPTERS, type AdapterUnderTest } from '../test/support/adapters.js';
import { DIALECTS } from '../test/support/dialect.js';

const SHORT_S = 0.3;
const LONG_S = 5;
const EACH = 10;
const DEADLINE_MS = 1000;
const CLOSE_GRACE_MS = 2000;
const POLL_MS = 50;

interface Run {
  readonly engine: Engine;
  readonly adapter: string;
  readonly cancelOnAbort: boolean;
  /** From the call until the server's count was 0. */
  readonly toZeroMs: number;
  /** From the call until `gracefulShutdown` resolved. */
  readonly resolvedMs: number;
  readonly aborted: number;
  /** Short requests answered 200. */
  readonly finished: number;
}

async function measure(server: TestServer, adapter: AdapterUnderTest, cancelOnAbort: boolean): Promise<Run> {
  const dialect = DIALECTS[server.engine];
  const dbs = createDatabases({ default: { url: server.url, maxConnections: 2 * EACH, cancelOnAbort } });
  const db = dbs.get();
  const served = await adapter.serve(dbs, {
    handle: async (request) => {
      await db.query(dialect.sleep(request.path.startsWith('/long') ? LONG_S : SHORT_S));
      return 'ok';
    },
  });
  const requests = Array.from({ length: 2 * EACH }, (_, i) =>
    httpGet(served.port, `/${i % 2 === 0 ? 'short' : 'long'}/${i}`, { timeoutMs: 20_000 }).then(
      (r) => r.status,
      () => 0,
    ),
  );
  await until(async () => (await countConnections(server)) === 2 * EACH, 10_000);
  const started = performance.now();
  let resolvedMs = Number.NaN;
  const shutdown = gracefulShutdown(served.server, dbs, { deadline: DEADLINE_MS, closeGracePeriod: CLOSE_GRACE_MS }).then((result) => {
    resolvedMs = performance.now() - started;
    return result;
  });
  await until(async () => (await countConnections(server)) === 0, 20_000);
  const toZeroMs = performance.now() - started;
  const { aborted } = await shutdown;
  const statuses = await Promise.all(requests);
  await served.close();
  return {
    engine: server.engine,
    adapter: adapter.name,
    cancelOnAbort,
    toZeroMs,
    resolvedMs,
    aborted,
    finished: statuses.filter((s) => s === 200).length,
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  const pick = (name: string, all: readonly string[]): string[] =>
    (process.env[name] ?? '').split(',').filter((item) => all.includes(item));
  const engines = pick('SHUTDOWN_ENGINES', ['mariadb', 'postgres']) as Engine[];
  const adapters = new Set(
    pick(
      'SHUTDOWN_ADAPTERS',
      ADAPTERS.map((adapter) => adapter.name),
    ),
  );
  for (const engine of engines.length > 0 ? engines : (['mariadb', 'postgres'] as const)) {
    const server = await startServer(engine, { maxConnections: 100 });
    try {
      for (const adapter of ADAPTERS.filter((candidate) => adapters.size === 0 || adapters.has(candidate.name))) {
        for (const cancelOnAbort of [false, true]) {
          const run = await measure(server, adapter, cancelOnAbort);
          process.stderr.write(`${JSON.stringify(run)}\n`);
          runs.push(run);
        }
      }
    } finally {
      await server.stop();
    }
  }
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rows = runs.map((run) =>
    line([
      run.engine === 'mariadb' ? 'MariaDB' : 'PostgreSQL',
      run.adapter,
      run.cancelOnAbort ? 'yes' : 'no',
      run.toZeroMs.toFixed(0),
      run.resolvedMs.toFixed(0),
      `${run.finished}/${EACH}`,
      String(run.aborted),
    ]),
  );
  process.stdout.write(
    [
      `Graceful shutdown, ${EACH} requests finishing within the ${DEADLINE_MS} ms deadline and ${EACH} past it (${LONG_S} s statements), closeGracePeriod ${CLOSE_GRACE_MS} ms.`,
      '',
      line([
        'database',
        'adapter',
        'cancelOnAbort',
        'ms to 0 connections on the server',
        'ms until shutdown resolved',
        'short requests answered',
        'ended as shutdown',
      ]),
      line(['---', '---', '---', '---:', '---:', '---:', '---:']),
      ...rows,
      '',
    ].join('\n'),
  );
}

await main();
