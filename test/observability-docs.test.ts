/**
 * The runnable examples of docs/observability.md (each code block after an
 * `<!-- example: name -->` line) run as written, as processes, with the package's import names
 * pointed at the sources: on SQLite where they allow it, and on PostgreSQL through
 * DATABASE_URL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { forEachEngine } from './support/engines.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;
const SOURCES: Readonly<Record<string, string>> = {
  leakproof: 'src/index.ts',
  'leakproof/diagnostics': 'src/instrumentation/channels.ts',
  'leakproof/http': 'src/adapters/http.ts',
  'leakproof/prometheus': 'src/observability/prometheus.ts',
};

/** The examples by name, their imports of the package rewritten to the sources. */
function examples(): Map<string, string> {
  const doc = readFileSync(join(ROOT, 'docs', 'observability.md'), 'utf8');
  const found = new Map<string, string>();
  for (const match of doc.matchAll(/<!-- example: ([a-z-]+) -->\n```ts\n([\s\S]*?)\n```/g)) {
    const code = match[2]!.replace(/from '(leakproof(?:\/[a-z]+)?)'/g, (_all, name: string) => {
      const source = SOURCES[name];
      if (source === undefined) throw new Error(`docs import an unknown entry point "${name}"`);
      return `from '${pathToFileURL(join(ROOT, source)).href}'`;
    });
    found.set(match[1]!, code);
  }
  return found;
}

// Inside the project (ignored by git) so that the examples resolve prom-client and the drivers.
const scripts = join(ROOT, '.tmp', 'docs-examples');
const cwd = mkdtempSync(join(tmpdir(), 'leakproof-docs-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runExample(name: string, databaseUrl: string | undefined): Promise<Run> {
  const code = examples().get(name);
  if (code === undefined) throw new Error(`docs/observability.md has no example "${name}"`);
  mkdirSync(scripts, { recursive: true });
  const file = join(scripts, `${name}-${process.pid}.ts`);
  writeFileSync(file, code);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (databaseUrl === undefined) delete env['DATABASE_URL'];
  else env['DATABASE_URL'] = databaseUrl;
  // tsx by its own URL: the examples run in a directory of their own, outside the project.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`example "${name}" did not end within ${RUN_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      rmSync(file, { force: true });
      resolve({ code: exitCode, stdout, stderr });
    });
  });
}

function check(run: Run, patterns: readonly RegExp[]): void {
  assert.equal(run.code, 0, `exit ${run.code}:\n${run.stdout}\n${run.stderr}`);
  for (const pattern of patterns) assert.match(run.stdout, pattern);
}

const EVENTS = [
  /^\[db\] connect default #\d+ in [\d.]+ ms$/m,
  /^\[db\] acquire default #\d+ after 0\.0 ms \(open 1\/10\)$/m,
  /^\[db\] close default #\d+: shutdown after \d+ ms$/m,
];
const PROMETHEUS = [
  /^leakproof_connections_open\{alias="default"\} 1$/m,
  /^leakproof_leases_total\{alias="default"\} 1$/m,
  /^leakproof_acquire_wait_seconds_count\{alias="default"\} 1$/m,
];

describe('docs/observability.md examples [sqlite]', () => {
  it('events: logs the pool', async () => check(await runExample('events', undefined), EVENTS));
  it('prometheus: serves /metrics', async () => check(await runExample('prometheus', undefined), PROMETHEUS));
});

forEachEngine('docs/observability.md examples', ['postgres'], (engine) => {
  it('events: logs the pool', async () => check(await runExample('events', engine().url), EVENTS));
  it('prometheus: serves /metrics', async () => check(await runExample('prometheus', engine().url), PROMETHEUS));
  it('leak: the statement that outlives its request is reported, then its return', async () => {
    const run = await runExample('leak', engine().url);
    check(run, [
      /^leak: GET \/reports\/7 still holds #\d+ \d+ ms after it ended$/m,
      /^returned: GET \/reports\/7 gave #\d+ back \d+ ms after it ended$/m,
    ]);
    assert.match(
      run.stderr,
      /LeakproofWarning: connection \d+ of alias "default" is still held \d+ ms after request GET \/reports\/7 ended; it was leased at:\nError: leased here/,
    );
    assert.ok(!`${run.stdout}${run.stderr}`.includes('token=abc'), 'the query string was reported');
    assert.equal(await engine().waitForCount(0), 0);
  });
});
