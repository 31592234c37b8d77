/**
 * Behind PgBouncer in transaction mode (Debian's pgbouncer, started by the harness in front of
 * a dedicated PostgreSQL): PgBouncer refuses leakproof's statement_timeout startup parameter,
 * and the error says what to set; with `pooler: 'transaction'` statementTimeout is enforced by
 * leakproof's own cancel and the connection stays usable; statements that would leave state on
 * a shared server session are refused (the hazard shown first, on a pool of one server
 * session); after a load with clients leaving and transactions rolled back, PgBouncer holds no
 * client and the server no session idle in a transaction; doctor and the probe read PgBouncer's
 * admin console as their --db. The end paths are in
 * adapter-end-paths-pgbouncer-http.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDatabases, LeakproofError, type Databases } from '../src/index.js';
import { listConnections } from './harness/count-connections.js';
import { abortingRequest, httpGet } from './harness/faults.js';
import { pgbouncerMissing, startPgbouncer, type Pgbouncer } from './harness/pgbouncer.js';
import { engineTargets } from './harness/shared-server.js';
import type { TestServer } from './harness/test-server.js';
import { renderDoctor } from '../src/cli/render-doctor.js';
import { runProbe } from '../src/probe/run-probe.js';
import { startForgetsOnAbort } from './probe/fixtures/forgets-on-abort.js';
import { startLeakproofPooled } from './probe/fixtures/leakproof-pooled.js';
import { runDoctor } from '../src/doctor/run-doctor.js';
import { delay, eventually, serve } from './support/serve.js';

const [target] = engineTargets(['postgres']);
const missing = pgbouncerMissing();
const skip = target!.skip !== false ? target!.skip : missing !== undefined && process.env['LEAKPROOF_REQUIRE_DB'] !== '1' ? missing : false;

function codeOf(error: unknown): string {
  return error instanceof LeakproofError ? error.code : String(error);
}

describe('behind PgBouncer in transaction mode', { skip }, () => {
  let server: TestServer;
  let bouncer: Pgbouncer;
  const open: Databases[] = [];
  const databases = (options: Record<string, unknown> = {}): Databases => {
    const dbs = createDatabases({ default: { url: bouncer.url, pooler: 'transaction', ...options } });
    open.push(dbs);
    return dbs;
  };

  before(async () => {
    if (missing !== undefined) throw new Error(`LEAKPROOF_REQUIRE_DB=1 but ${missing} is not installed`);
    server = await target!.start({ maxConnections: 40 });
    bouncer = await startPgbouncer(server, { poolMode: 'transaction', poolSize: 5 });
  });
  after(async () => {
    await Promise.all(open.map((dbs) => dbs.close()));
    await bouncer?.stop();
    await server?.stop();
  });

  it("without pooler, a statementTimeout is refused by PgBouncer and the error says to set pooler: 'transaction'", async () => {
    const dbs = createDatabases({ default: { url: bouncer.url, statementTimeout: 1000 } });
    open.push(dbs);
    const error = await dbs.run(() => dbs.get().query('SELECT 1')).catch((caught: unknown) => caught);
    assert.equal(codeOf(error), 'CONNECTION_FAILED');
    assert.match((error as Error).message, /unsupported startup parameter/);
    assert.match((error as Error).message, /set pooler: 'transaction'/);
  });

  it("with pooler: 'transaction', statementTimeout is leakproof's own cancel: STATEMENT_TIMEOUT, the statement gone from the server, the same connection serves the next statement", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => void warnings.push(warning.code ?? warning.name);
    process.on('warning', onWarning);
    try {
      // 30 of the server's 40 would draw LEAKPROOF_BUDGET directly; behind the pooler it is PgBouncer's pool that counts.
      const dbs = databases({ statementTimeout: 300, maxConnections: 30 });
      const db = dbs.get();
      await dbs.run(async () => {
        const error = await db.query('SELECT pg_sleep(3)').catch((caught: unknown) => caught);
        assert.equal(codeOf(error), 'STATEMENT_TIMEOUT', String(error));
        assert.match((error as Error).message, /stopped by leakproof's cancel/);
        const sleeping = (await listConnections(server)).filter(
          (session) => /pg_sleep/.test(session.query ?? '') && session.state === 'active',
        );
        assert.equal(sleeping.length, 0, 'the statement still runs on the server');
        assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
      });
      const stats = dbs.stats().default!;
      assert.equal(stats.created, 1, 'the connection was replaced instead of reused');
      assert.equal(stats.abandoned, 0);
      await delay(50);
      assert.ok(!warnings.includes('LEAKPROOF_BUDGET'), warnings.join(', '));
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('the hazard: on a shared server session, a plain SET of one client is seen by the next (PgBouncer alone, leakproof not told)', async () => {
    const single = await startPgbouncer(server, { poolMode: 'transaction', poolSize: 1 });
    const dbs = createDatabases({ default: { url: single.url, maxLifetime: 0 } });
    try {
      await dbs.run(() => dbs.get().execute("SET work_mem = '7MB'"));
      const [row] = await dbs.run(() => dbs.get().query<{ work_mem: string }>('SHOW work_mem'));
      assert.equal(row!.work_mem, '7MB', 'the SET of the first request did not reach the second: the test shows nothing');
    } finally {
      await dbs.close();
      await single.stop();
    }
  });

  it("with pooler: 'transaction', every statement that would stay on the server session is refused with SESSION_STATE before it is sent; the transaction-scoped forms run", async () => {
    const db = databases().get();
    const refused = [
      "SET work_mem = '7MB'",
      "set session timezone to 'UTC'",
      '/* why */ RESET work_mem',
      'DISCARD ALL',
      "SELECT set_config('work_mem', '7MB', false)",
      'CREATE TEMP TABLE scratch (id int)',
      'SELECT pg_advisory_lock(42)',
      'SELECT pg_try_advisory_lock(1, 2)',
      'PREPARE q AS SELECT 1',
      'EXECUTE q',
      'LISTEN news',
      'DECLARE c CURSOR WITH HOLD FOR SELECT 1',
      "LOAD 'auto_explain'",
      'SELECT 1; SET work_mem = 1',
    ];
    for (const sql of refused) {
      const error = await db.query(sql).catch((caught: unknown) => caught);
      assert.equal(codeOf(error), 'SESSION_STATE', `${sql}: ${String(error)}`);
    }
    assert.throws(
      () => db.stream("SET work_mem = '7MB'"),
      (error: unknown) => codeOf(error) === 'SESSION_STATE',
    );
    const rows = await db.transaction(async (tx) => {
      await tx.execute("SET LOCAL work_mem = '7MB'");
      await tx.query("SELECT set_config('statement_timeout', '5000', true)");
      await tx.query('SELECT pg_advisory_xact_lock(42)');
      await tx.execute('CREATE TEMP TABLE scratch (id int) ON COMMIT DROP');
      return tx.query<{ work_mem: string }>('SHOW work_mem');
    });
    assert.equal(rows[0]!.work_mem, '7MB');
    const [after] = await db.query<{ work_mem: string }>('SHOW work_mem');
    assert.notEqual(after!.work_mem, '7MB', 'SET LOCAL outlived its transaction');
    const table = `scratch_${process.pid}`;
    await db.execute(`CREATE TABLE ${table} (note text)`);
    await db.execute(`INSERT INTO ${table} VALUES ('SET x = 1')`);
    await db.execute(`DROP TABLE ${table}`);
  });

  it('after a load with a third of the clients leaving mid-query and transactions rolled back, PgBouncer holds no client of the app and the server no session idle in a transaction', async () => {
    const dbs = databases({ transactionPerRequest: true, maxConnections: 10, cancelOnAbort: true });
    const db = dbs.get();
    const served = await serve(dbs, async (req, res) => {
      await db.execute('SELECT pg_sleep(0.05)');
      if (req.url === '/throw') throw new Error('handler failed');
      res.end('ok');
    });
    try {
      const requests = Array.from({ length: 60 }, (_, i) => {
        if (i % 3 === 0) return abortingRequest({ port: served.port, method: 'GET', path: '/leave', abortAfterMs: 20 });
        return httpGet(served.port, i % 3 === 1 ? '/throw' : '/ok');
      });
      await Promise.all(requests);
      // Every app of this file closed: what PgBouncer still counts, something kept.
      await Promise.all(open.map((each) => each.close()));
      assert.ok(
        await eventually(async () => (await bouncer.clients()) === 0, 5000),
        `PgBouncer still counts ${await bouncer.clients()} clients of the app`,
      );
      const sessions = await listConnections(server);
      assert.deepEqual(
        sessions.filter((session) => session.inTransaction),
        [],
        'a server session was left inside a transaction',
      );
      const servers = await bouncer.servers();
      assert.equal(servers['active'] ?? 0, 0, JSON.stringify(servers));
    } finally {
      await served.close();
    }
  });

  it("leakproof doctor reads PgBouncer's admin console as --db: its clients, its pools, and a warning for clients waiting on a pool of one held by a transaction left open", async () => {
    const single = await startPgbouncer(server, { poolMode: 'transaction', poolSize: 1 });
    const holder = createDatabases({ default: { url: single.url, pooler: 'transaction' } });
    const waiter = createDatabases({ default: { url: single.url, pooler: 'transaction' } });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding = holder.run(() =>
      holder.get().transaction(async (tx) => {
        await tx.query('SELECT 1');
        await held;
      }),
    );
    const waiting = (async () => {
      await delay(200);
      return waiter.run(() => waiter.get().query('SELECT 2 AS two'));
    })();
    try {
      const console = new URL(single.url);
      console.pathname = '/pgbouncer';
      await delay(600);
      const report = await runDoctor({ db: console.toString(), processes: 2, budget: 10 });
      assert.equal(report.product, 'PgBouncer');
      assert.match(report.version, /^\d+\.\d+/);
      const states = Object.fromEntries(report.connections.groups.map((group) => [group.state, group.count]));
      assert.deepEqual(states, { active: 1, waiting: 1 }, JSON.stringify(report.connections.groups));
      const pool = report.pools?.find((each) => each.user === server.user);
      assert.equal(pool?.clientsWaiting, 1, JSON.stringify(report.pools));
      assert.equal(pool?.poolSize, 1);
      assert.equal(pool?.serversActive, 1);
      assert.ok(
        report.warnings.some((warning) => warning.code === 'clients-waiting'),
        JSON.stringify(report.warnings),
      );
      assert.ok(report.budget?.fits);
      const text = renderDoctor(report, { color: false });
      assert.match(text, /^leakproof doctor {2}PgBouncer /);
      assert.match(text, /max_client_conn +500/);
      assert.match(text, /Pools\n +DATABASE/);
      assert.doesNotMatch(text, new RegExp(server.password));
    } finally {
      release();
      await holding;
      assert.deepEqual(await waiting, [{ two: 2 }]);
      await holder.close();
      await waiter.close();
      await single.stop();
    }
  });

  it("the probe reads PgBouncer's SHOW CLIENTS as --db: an app that forgets its connection on abort is a leak, leakproof with pooler: 'transaction' is not", async () => {
    const console = new URL(bouncer.url);
    console.pathname = '/pgbouncer';
    const quick = {
      concurrency: 10,
      requests: 60,
      rounds: 3,
      pauseMs: 300,
      settlePointsMs: [300, 1000, 2000],
      abortRatio: 0.3,
      abortAfterMs: 20,
    };
    const cases = [
      { start: () => startForgetsOnAbort(bouncer.url), allowedIdle: 0, expected: 'leak' },
      { start: () => startLeakproofPooled(bouncer.url, 10, { pooler: 'transaction' }), allowedIdle: 10, expected: 'no-leak' },
    ];
    for (const { start, allowedIdle, expected } of cases) {
      const app = await start();
      try {
        const result = await runProbe({ ...quick, allowedIdle, url: app.url('/slow'), db: console.toString() });
        assert.equal(result.database.kind, 'pgbouncer');
        assert.equal(result.database.maxConnections, 500, 'max_client_conn');
        assert.ok(app.seen.aborted > 0, 'no request was cut off');
        assert.equal(
          result.verdict.kind,
          expected,
          `${result.verdict.reasons.join('\n')} (baseline ${result.baseline}, peak ${result.peak}, settled ${result.settle.map((point) => point.connections).join('/')})`,
        );
      } finally {
        await app.close();
      }
      assert.ok(await eventually(async () => (await bouncer.clients()) === 0, 5000), 'the fixture left PgBouncer clients');
    }
  });

  it('parameterised statements: the statement cache is off behind the pooler unless set; set on (PgBouncer 1.18 has no max_prepared_statements), a statement the next server session lacks is prepared again', async () => {
    const off = databases();
    await off.run(async () => {
      const db = off.get();
      await db.query('SELECT $1::int AS n', [1]);
      assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM pg_prepared_statements'), [{ n: 0 }]);
    });
    const clients = [databases({ statementCache: 100 }), databases({ statementCache: 100 })];
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        clients[i % 2]!.run(async () => {
          const [row] = await clients[i % 2]!.get().query<{ n: number }>('SELECT $1::int + $2::int AS n', [i, 1]);
          return row!.n;
        }),
      ),
    );
    assert.deepEqual(
      answers,
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
  });
});
