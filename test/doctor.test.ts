/**
 * `leakproof doctor` on real servers: it sees the sessions a test holds (idle, idle in a
 * transaction) grouped and aged, leaves its own session out, reads the limits and timeouts,
 * and warns in plain words — including the Django/1040 story of processes × budget passing
 * max_connections.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { CliIo } from '../src/cli/cli-io.js';
import { runCli } from '../src/cli/run-cli.js';
import type { DoctorReport, SessionGroup } from '../src/doctor/doctor-report.js';
import { runDoctor } from '../src/doctor/run-doctor.js';
import type { Databases } from '../src/index.js';
import { sharedServer } from './harness/shared-server.js';
import { APP_PASSWORD } from './harness/test-server.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import { delay, eventually } from './support/serve.js';

const TABLE = `doctor_scratch_${process.pid}`;
/** Idle threshold for the tests: the held sessions are older than this when the doctor looks. */
const THRESHOLD_MS = 100;

forEachEngine('leakproof doctor', ['mariadb', 'postgres'], (engine) => {
  before(async () => {
    const dbs = engine().databases({ default: engine().url });
    await dbs.get().execute(engine().dialect.createTable(TABLE));
    await dbs.close();
  });
  after(async () => {
    const dbs = engine().databases({ default: engine().url });
    await dbs
      .get()
      .execute(`DROP TABLE IF EXISTS ${TABLE}`)
      .catch(() => undefined);
    await dbs.close();
  });

  it('groups the sessions it can see by user, host, database and state, without its own', async () => {
    await withHeldSessions(engine(), async () => {
      const report = await runDoctor({ db: engine().url, sleepingOlderThanMs: THRESHOLD_MS });
      const mine = ours(report, engine());
      if (engine().name === 'postgres') {
        assert.deepEqual(
          mine.map((g) => [g.state, g.count]),
          [
            ['idle', 2],
            ['idle in transaction', 1],
          ],
        );
        assert.equal(report.connections.idleInTransaction !== undefined && report.connections.idleInTransaction >= 1, true);
      } else {
        // The app user lacks PROCESS: INNODB_TRX is closed to it, so the transaction looks idle.
        assert.deepEqual(
          mine.map((g) => [g.state, g.count]),
          [['idle', 3]],
        );
        assert.equal(report.connections.idleInTransaction, undefined);
        assert.ok(report.warnings.some((w) => w.code === 'transactions-not-visible' && w.level === 'note'));
      }
      for (const group of mine) {
        assert.equal(group.database, 'leakproof_test');
        assert.doesNotMatch(group.host, /:\d+$/, 'the host is shown without its port');
        assert.ok(group.oldestIdleMs !== undefined && group.oldestIdleMs >= THRESHOLD_MS, `idle age ${group.oldestIdleMs}`);
      }
      assert.ok(report.connections.idleOlderThanThreshold >= 3);
      assert.ok(report.connections.oldestIdleMs !== undefined && report.connections.oldestIdleMs >= THRESHOLD_MS);
      const idle = report.warnings.find((w) => w.code === 'idle-too-long');
      assert.ok(idle !== undefined, JSON.stringify(report.warnings));
      assert.match(idle.message, /connections idle for more than 100 ms/);
    });
  });

  it('warns about a session idle inside a transaction (PostgreSQL; MariaDB with PROCESS)', async () => {
    await withHeldSessions(engine(), async () => {
      const url = engine().name === 'postgres' ? engine().url : (await sharedServer('mariadb'))!.adminUrl;
      const report = await runDoctor({ db: url, sleepingOlderThanMs: THRESHOLD_MS });
      assert.deepEqual(
        ours(report, engine())
          .filter((g) => g.state === 'idle in transaction')
          .map((g) => g.count),
        [1],
      );
      const warning = report.warnings.find((w) => w.code === 'idle-in-transaction');
      assert.ok(warning !== undefined, JSON.stringify(report.warnings));
      assert.match(warning.message, /idle inside an open transaction/);
      if (engine().name === 'postgres') assert.match(warning.message, /idle_in_transaction_session_timeout is off/);
    });
  });

  it('reads max_connections, the reserve, headroom and the idle timeouts', async () => {
    const report = await runDoctor({ db: engine().url });
    const { settings, headroom } = report;
    assert.ok(settings.maxConnections >= 100, `max_connections ${settings.maxConnections}`);
    assert.equal(headroom.usable, settings.maxConnections - settings.reservedConnections);
    assert.equal(headroom.available, headroom.usable - headroom.current);
    assert.equal(report.connections.sleepingOlderThanMs, 60_000);
    if (engine().name === 'postgres') {
      assert.equal(report.product, 'PostgreSQL');
      assert.ok(settings.reservedConnections >= 1, 'superuser_reserved_connections');
      assert.equal(typeof settings.idleInTransactionSessionTimeoutMs, 'number');
      assert.equal(settings.waitTimeoutMs, undefined);
    } else {
      assert.equal(report.product, 'MariaDB');
      assert.equal(settings.extraSuperuserConnections, 1);
      assert.ok(settings.waitTimeoutMs !== undefined && settings.waitTimeoutMs > 0);
      assert.ok(headroom.maxUsed !== undefined && headroom.maxUsed >= 1);
    }
    assert.ok(!JSON.stringify(report).includes(APP_PASSWORD));
    assert.match(report.db, /:\*\*\*@/);
  });

  it("processes × budget past the server's limit: the 1040 warning, with a budget that fits", async () => {
    const { headroom } = await runDoctor({ db: engine().url });
    const budget = Math.ceil(headroom.usable / 4) + 1;
    const report = await runDoctor({ db: engine().url, processes: 4, budget });
    assert.deepEqual(report.budget, { processes: 4, perProcess: budget, total: 4 * budget, fits: false });
    const warning = report.warnings.find((w) => w.code === 'budget-over-limit');
    assert.ok(warning !== undefined);
    assert.match(warning.message, new RegExp(`4 processes × ${budget} connections = ${4 * budget}, more than the ${headroom.usable}`));
    assert.match(warning.message, engine().name === 'postgres' ? /53300/ : /1040 "Too many connections"/);
    assert.match(warning.message, new RegExp(`at most ${Math.floor(headroom.usable / 4)} \\(leakproof: maxConnections\\)`));

    const fits = await runDoctor({ db: engine().url, processes: 2, budget: 5 });
    assert.equal(fits.budget?.fits, true);
    assert.ok(!fits.warnings.some((w) => w.code === 'budget-over-limit'));
  });

  it('the CLI prints it (text and --json), exits 0, and never the password', async () => {
    await withHeldSessions(engine(), async () => {
      const text = await cli(['doctor', '--db', engine().url, '--idle-older-than', '100ms', '-p', '4', '-b', '100000']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^leakproof doctor {2}(MariaDB|PostgreSQL) /);
      assert.match(text.stdout, /max_connections +\d+/);
      assert.match(text.stdout, new RegExp(`^  ${userOf(engine())} +\\S+ +leakproof_test +idle `, 'm'));
      assert.match(text.stdout, /Warnings: \d+/);
      assert.match(text.stdout, /does NOT fit/);
      assert.ok(!text.stdout.includes(APP_PASSWORD) && !text.stderr.includes(APP_PASSWORD));

      const json = await cli(['doctor', '--db', engine().url, '--json']);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout) as DoctorReport;
      assert.ok(ours(report, engine()).length > 0);
      assert.ok(!json.stdout.includes(APP_PASSWORD));
    });
  });
});

function userOf(engine: EngineContext): string {
  return decodeURIComponent(new URL(engine.url).username);
}

/** The groups of this test process's own app user. */
function ours(report: DoctorReport, engine: EngineContext): SessionGroup[] {
  return report.connections.groups.filter((g) => g.user === userOf(engine)).sort((a, b) => a.state.localeCompare(b.state));
}

/**
 * Holds three sessions of the app user open while `check` runs: two idle, one idle inside a
 * transaction that wrote a row (so InnoDB lists it), all older than the threshold.
 */
async function withHeldSessions(engine: EngineContext, check: () => Promise<void>): Promise<void> {
  const dbs: Databases = engine.databases({ default: { url: engine.url, maxConnections: 3 } });
  const db = dbs.get();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const sessions = [
    dbs.run(async () => {
      await db.query('SELECT 1 AS one');
      await gate;
    }),
    dbs.run(async () => {
      await db.query('SELECT 1 AS one');
      await gate;
    }),
    dbs.run(() =>
      db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${TABLE} (label) VALUES (${engine.dialect.param(1)})`, ['held']);
        await gate;
      }),
    ),
  ];
  try {
    assert.ok(await eventually(async () => (await engine.count()) === 3), 'the three sessions did not open');
    await delay(THRESHOLD_MS * 3);
    await check();
  } finally {
    release();
    await Promise.all(sessions);
  }
}

async function cli(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
