/**
 * `leakproof demo`, the README's first command, run the way a newcomer runs it: as a process,
 * from source. It starts the polls example, probes it with an abort-heavy load, prints the
 * verdict and writes the HTML report; exit 0 because leakproof releases every connection.
 * Then the same against a real MariaDB and PostgreSQL through DATABASE_URL, counted on the
 * server itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { APP_PASSWORD } from './harness/test-server.js';
import { forEachEngine } from './support/engines.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEMO_TIMEOUT_MS = 90_000;
const dir = mkdtempSync(join(tmpdir(), 'leakproof-demo-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node --import tsx src/cli/main.ts demo …` with `DATABASE_URL` set or unset. */
function runDemo(args: readonly string[], databaseUrl: string | undefined): Promise<DemoRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['DATABASE_URL'];
  if (databaseUrl !== undefined) env['DATABASE_URL'] = databaseUrl;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function assertNoLeak(run: DemoRun, report: string): void {
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /✔ NO LEAK/);
  assert.match(run.stdout, /The count settled to \d+ connections/);
  assert.match(run.stdout, /POST http:\/\/127\.0\.0\.1:\d+\/polls\/1\/slow/);
  assert.match(run.stderr, new RegExp(`HTML report written to ${report.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.ok(existsSync(report), 'the HTML report was written');
  const html = readFileSync(report, 'utf8');
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /<svg/);
}

describe('leakproof demo on SQLite', () => {
  it('runs the example app, probes it, prints the verdict and writes the report: exit 0', async () => {
    const report = join(dir, 'sqlite.html');
    const run = await runDemo(['--quick', '--report', report], undefined);
    assertNoLeak(run, report);
    assert.match(run.stderr, /SQLite in a temporary file; connections counted from the app's gauge at http:\/\/127\.0\.0\.1:\d+\/metrics/);
    // Every way of leaving was exercised, and many did leave.
    assert.match(run.stdout, /disconnects 40% after 50 ms \(abort-before-response/);
    const totals = /^total\s+\S+ s\s+(?<requests>[\d,]+)\s+(?<ok>[\d,]+)\s+(?<errors>[\d,]+)\s+(?<disconnects>[\d,]+)/m.exec(run.stdout);
    assert.ok(totals?.groups !== undefined, run.stdout);
    assert.ok(Number(totals.groups['disconnects']!.replace(/,/g, '')) > 10, run.stdout);
    assert.equal(totals.groups['errors'], '0', 'no request failed on the server');
  });
});

forEachEngine('leakproof demo with DATABASE_URL', ['mariadb', 'postgres'], (engine) => {
  it('counts on the database server itself, and every connection comes back: exit 0', async () => {
    // A server of its own: the demo creates its tables, and nothing else counts on it.
    const server = await engine().startDedicated({});
    try {
      const report = join(dir, `${engine().name}.html`);
      const run = await runDemo(['--quick', '--report', report], server.url);
      assertNoLeak(run, report);
      assert.match(run.stderr, /connections counted on the database server itself/);
      assert.match(run.stdout, new RegExp(engine().name === 'postgres' ? 'postgres' : 'mysql'));
      assert.ok(!run.stdout.includes(APP_PASSWORD) && !run.stderr.includes(APP_PASSWORD), 'the password never shows');
    } finally {
      await server.stop();
    }
  });
});
