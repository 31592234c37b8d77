/**
 * The probe's verdicts with no flag but `--db`, on real servers, against fixture servers that
 * run as processes of their own (Node and Python): every broken one is a `leak` (on abort, on
 * throw, never closed, 1 in 25 ordinary requests, closed later in bursts by a collector, left
 * idle in a transaction), every correct one `no-leak` (raw pools keeping idle connections, a
 * pool pre-opened at start-up, a connection per request, leakproof's own), and a probe pointed
 * at a wrong URL or a wrong database is `inconclusive` (exit 2) with the reason. Each fixture
 * gets a database of its own on one dedicated server per engine, so they run four at a time.
 * Two test files per engine run it, one per `CasePart` (probe-verdicts-<part>-<engine>.test.ts),
 * so that none runs near the per-file timeout on a loaded machine.
 *
 * Most runs are short (10 in parallel, 3 × 60 requests, 30 % leaving, every shape, 0.6 s pauses
 * so that a reading lands at rest, settle points 0.3 / 1 / 2 s); two run with the probe's
 * defaults, as a user would (a raw pool of 10: no-leak; 1 in 25 ordinary requests: leak).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DISCONNECT_SHAPES } from '../../src/probe/probe-config.js';
import type { ProbeOptions, ProbeResult, VerdictKind } from '../../src/probe/probe-result.js';
import { runProbe } from '../../src/probe/run-probe.js';
import { adminQuery } from '../harness/admin-client.js';
import { waitForCount } from '../harness/count-connections.js';
import { engineTargets } from '../harness/shared-server.js';
import type { Engine, TestServer } from '../harness/test-server.js';
import { spawnFixture, spawnNodeFixture, type FixtureProcess } from '../probe/fixtures/fixture-process.js';
import { FIXTURES } from '../probe/fixtures/fixtures.js';

const QUICK: Partial<ProbeOptions> = {
  concurrency: 10,
  requests: 60,
  rounds: 3,
  pauseMs: 600,
  settlePointsMs: [300, 1000, 2000],
  abortRatio: 0.3,
  abortAfterMs: 20,
  shapes: DISCONNECT_SHAPES,
};
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const PYTHON_SERVER = fileURLToPath(new URL('../probe/fixtures/python/fixture_server.py', import.meta.url));

export interface Case {
  readonly name: string;
  readonly start: (dbUrl: string) => Promise<FixtureProcess>;
  readonly expected: VerdictKind;
  /** The probe's defaults instead of the short run. */
  readonly defaults?: boolean;
  readonly needsTransactions?: boolean;
  /** Point the probe elsewhere than the app: a path that answers 404, or another database. */
  readonly wrong?: 'url' | 'database';
}

const python = (mode: string) => (dbUrl: string) => spawnFixture(PYTHON, [PYTHON_SERVER, mode], dbUrl);

export const CASES: readonly Case[] = [
  ...FIXTURES.map((fixture) => ({
    name: `node: ${fixture.name}`,
    start: (dbUrl: string) => spawnNodeFixture(fixture.id, dbUrl),
    expected: fixture.expected,
    ...(fixture.needsTransactions === true ? { needsTransactions: true } : {}),
  })),
  {
    name: 'node, probe defaults: raw pool of 10 keeping its idle connections',
    start: (dbUrl) => spawnNodeFixture('raw-pool', dbUrl),
    expected: 'no-leak',
    defaults: true,
  },
  {
    name: 'node, probe defaults: 1 in 25 ordinary requests leaks',
    start: (dbUrl) => spawnNodeFixture('leaks-one-in-25', dbUrl),
    expected: 'leak',
    defaults: true,
  },
  { name: 'python: connection per request, closed in finally', start: python('per-request'), expected: 'no-leak' },
  { name: 'python: pool of 10, returned in finally', start: python('pool'), expected: 'no-leak' },
  { name: 'python: connection per request, never closed', start: python('never-closed'), expected: 'leak' },
  { name: 'python: leaked connections closed later by the garbage collector', start: python('gc-leak'), expected: 'leak' },
  {
    name: 'wrong target URL (every answer 404)',
    start: (dbUrl) => spawnNodeFixture('raw-pool', dbUrl),
    expected: 'inconclusive',
    wrong: 'url',
  },
  { name: 'wrong --db database', start: (dbUrl) => spawnNodeFixture('raw-pool', dbUrl), expected: 'inconclusive', wrong: 'database' },
];

function summary(result: ProbeResult, ms: number): string {
  const sessions = result.sessions;
  return (
    `verdict=${result.verdict.kind} in ${ms} ms: baseline ${result.baseline}, peak ${result.peak}, settled ${result.settle.map((point) => point.connections).join('/')}, ` +
    `sessions ${JSON.stringify(sessions?.counts)}, resting ${result.restingLevel.allowedIdle}, statuses ${JSON.stringify(result.totals.statusCounts)}`
  );
}

/**
 * Which cases a test file runs: the Node fixtures' short runs, or the rest (the runs with the
 * probe's defaults, Python, the wrong URL and database), so that no file runs long.
 */
export type CasePart = 'node' | 'others';

function partOf(testCase: Case): CasePart {
  return testCase.name.startsWith('node: ') ? 'node' : 'others';
}

/** The suite for one engine and part. */
export function probeFixtureSuite(engine: Engine, part: CasePart): void {
  const [target] = engineTargets([engine]);
  if (target === undefined) return;
  describe(`probe verdicts on fixture processes [${target.engine}, ${part}]`, { skip: target.skip, concurrency: 4 }, () => {
    let server: TestServer;
    before(async () => {
      // Room for the never-closing fixtures (~190 open each by design) running beside the others.
      server = await target.start({ maxConnections: 1000 });
    });
    after(async () => {
      if (server === undefined) return;
      // A fixture stopped with ~170 sessions open leaves the server that many to tear down: give it
      // the time (it counted 8 still listed right after the last fixture stopped, once).
      const left = await waitForCount(server, 0, { timeoutMs: 10_000 });
      await server.stop();
      assert.equal(left, 0, 'a fixture left connections open after it stopped');
    });

    CASES.forEach((testCase, index) => {
      if (partOf(testCase) !== part) return;
      it(`${testCase.name} → ${testCase.expected}`, async (t) => {
        const began = Date.now();
        const result = await runCase(server, testCase, `fx_${index}`);
        t.diagnostic(summary(result, Date.now() - began));
        assert.equal(result.verdict.kind, testCase.expected, result.verdict.reasons.join('\n'));
        assert.equal(result.verdict.exitCode, { leak: 1, 'no-leak': 0, inconclusive: 2 }[testCase.expected as 'leak']);
        checkEvidence(testCase, result);
      });
    });
  });
}

/**
 * Runs one case: a database of its own (`database`), the fixture started on it, the probe at it
 * with no flag but --db, the fixture stopped. For the tests and for bench/probe-verdicts.ts.
 */
export async function runCase(server: TestServer, testCase: Case, database: string): Promise<ProbeResult> {
  await fixtureDatabase(server, database);
  const app = await testCase.start(withDatabase(server.url, database));
  try {
    // MariaDB shows transactions only to a user with PROCESS: the admin then, for that fixture.
    const reader = testCase.needsTransactions === true && server.engine === 'mariadb' ? server.adminUrl : server.url;
    const watched = testCase.wrong === 'database' ? await fixtureDatabase(server, `${database}_other`) : database;
    return await runProbe({
      ...(testCase.defaults === true ? {} : QUICK),
      url: app.url(testCase.wrong === 'url' ? '/missing/page' : '/slow'),
      db: withDatabase(reader, watched),
    });
  } finally {
    await app.close();
  }
}

function checkEvidence(testCase: Case, result: ProbeResult): void {
  if (testCase.wrong === 'url') assert.match(result.verdict.reasons.join('\n'), /No request got a 2xx or 3xx answer/);
  if (testCase.wrong === 'database') assert.match(result.verdict.reasons.join('\n'), /never moved the database/);
  if (testCase.expected !== 'leak') return;
  const sessions = result.sessions!;
  assert.ok(sessions.strandedTotal + sessions.idleInTransaction.length > 0, 'a leak must name its sessions');
  const named = sessions.stranded[0] ?? sessions.idleInTransaction[0]!;
  assert.ok(named.id > 0 && named.user !== '' && /:\d+$/.test(named.host), JSON.stringify(named));
}

/** A database of its own for one fixture, the app user free to use it. */
async function fixtureDatabase(server: TestServer, name: string): Promise<string> {
  if (server.engine === 'mariadb') {
    await adminQuery(server, `CREATE DATABASE IF NOT EXISTS \`${name}\``);
    await adminQuery(server, `GRANT ALL ON \`${name}\`.* TO ?@'%'`, [server.user]);
  } else {
    const existing = await adminQuery(server, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.length === 0) await adminQuery(server, `CREATE DATABASE "${name}" OWNER "${server.user}"`);
  }
  return name;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}
