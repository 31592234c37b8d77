/**
 * The test command (`npm test`): starts one throwaway MariaDB and one PostgreSQL, runs the
 * test files under `node --test` with the servers' admin URLs in `LEAKPROOF_MARIADB_URL` and
 * `LEAKPROOF_POSTGRES_URL`, then stops the servers and exits with the tests' status.
 *
 *   node --import tsx scripts/run-tests.ts                     all test/**\/*.test.ts
 *   node --import tsx scripts/run-tests.ts test/budget.test.ts a subset (files or directories)
 *   node --import tsx scripts/run-tests.ts --test-name-pattern=x   extra flags go to node --test
 *
 * A URL already set in the environment is used as it is (no server started for that engine).
 * Without server binaries an engine's tests skip with a loud warning; `LEAKPROOF_REQUIRE_DB=1`
 * makes that a failure. Everything the run creates lives in one temp dir (on /dev/shm when it
 * is a roomy tmpfs; it becomes the tests' TMPDIR) that is removed at the end, so even a test
 * process killed outright leaves nothing behind.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { templateEnv } from '../test/harness/data-dir-template.js';
import { onProcessExit } from '../test/harness/exit-cleanup.js';
import { SecretScanner, SUITE_SECRETS } from '../test/harness/secret-scan.js';
import { missingBinaries } from '../test/harness/find-binaries.js';
import { SHARED_MAX_CONNECTIONS, SHARED_URL_ENV } from '../test/harness/shared-server.js';
import { startServer } from '../test/harness/start-server.js';
import { tempBase } from '../test/harness/temp-dir.js';
import { ENGINES, type Engine, type TestServer } from '../test/harness/test-server.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const TEST_CONCURRENCY = 2;
const DEFAULT_TEST_TIMEOUT_MS = 120_000;
const CHILD_SIGNAL_GRACE_MS = 10_000;

async function main(argv: readonly string[]): Promise<number> {
  const flags = argv.filter((arg) => arg.startsWith('-'));
  const files = testFiles(argv.filter((arg) => !arg.startsWith('-')));
  if (files.length === 0) return fail('no test files found');
  useRunTempDir();
  const scanner = new SecretScanner();
  const servers = await startSharedServers();
  if (servers === undefined) return 1;
  // Test processes copy the data dirs initialised here instead of initialising their own.
  Object.assign(process.env, await templateEnv());
  try {
    const code = await runNodeTest(files, flags, scanner);
    scanner.scanFiles(process.env['TMPDIR']!);
    return reportSecrets(scanner) ? code : code || 1;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** The given files (directories expand to their *.test.ts), or every test/**\/*.test.ts; sorted. */
function testFiles(args: readonly string[]): string[] {
  const roots = args.length > 0 ? args.map((arg) => resolve(arg)) : [join(ROOT, 'test')];
  const files = roots.flatMap((path) => {
    if (!existsSync(path)) throw new Error(`no such test file or directory: ${path}`);
    return statSync(path).isDirectory() ? testFilesUnder(path) : [path];
  });
  return [...new Set(files.map((file) => relative(ROOT, file)))].sort();
}

function testFilesUnder(dir: string): string[] {
  // Node 20's --test does not glob .ts files, so collect them ourselves.
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((entry) => entry.endsWith('.test.ts') && !entry.split('/').includes('node_modules'))
    .map((entry) => join(dir, entry));
}

/** One temp dir for the whole run, made the TMPDIR of everything below (see the module comment). */
function useRunTempDir(): void {
  const dir = mkdtempSync(join(tempBase(), 'leakproof-run-'));
  // PostgreSQL runs as its own OS user and must reach its data dir inside.
  chmodSync(dir, 0o711);
  process.env['TMPDIR'] = dir;
  onProcessExit(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
}

/** Starts a server for each engine without a URL in the environment; undefined if one must but cannot. */
async function startSharedServers(): Promise<TestServer[] | undefined> {
  const wanted = ENGINES.filter((engine) => !process.env[SHARED_URL_ENV[engine]]);
  for (const engine of wanted) {
    const missing = missingBinaries(engine);
    if (missing !== undefined && process.env['LEAKPROOF_REQUIRE_DB'] === '1') {
      fail(`LEAKPROOF_REQUIRE_DB=1 but ${missing}`);
      return undefined;
    }
  }
  for (const engine of wanted) {
    const missing = missingBinaries(engine);
    if (missing !== undefined) warn(`SKIPPING ${engine} TESTS: ${missing}. Set LEAKPROOF_REQUIRE_DB=1 to make this an error.`);
  }
  const startable = wanted.filter((engine) => missingBinaries(engine) === undefined);
  const started = await Promise.allSettled(startable.map(startShared));
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure === undefined) return servers;
  await Promise.all(servers.map((server) => server.stop()));
  fail(String(failure.reason));
  return undefined;
}

async function startShared(engine: Engine): Promise<TestServer> {
  const began = Date.now();
  const server = await startServer(engine, { maxConnections: SHARED_MAX_CONNECTIONS });
  process.env[SHARED_URL_ENV[engine]] = server.adminUrl;
  log(`${engine} ready in ${Date.now() - began} ms on port ${server.port} (${SHARED_URL_ENV[engine]}=${server.adminUrl})`);
  return server;
}

/** Runs the files under node:test, its output passed on and scanned for secrets; resolves with its exit code. */
function runNodeTest(files: readonly string[], flags: readonly string[], scanner: SecretScanner): Promise<number> {
  const timeout = flags.some((flag) => flag.startsWith('--test-timeout')) ? [] : [`--test-timeout=${DEFAULT_TEST_TIMEOUT_MS}`];
  // --test-force-exit: a file whose failed test left a socket open reports and ends, instead
  // of hanging until --test-timeout. Leaks are caught by counting on the server, not by hangs.
  const args = ['--import', 'tsx', '--test', '--test-force-exit', `--test-concurrency=${TEST_CONCURRENCY}`, ...timeout, ...flags, ...files];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['inherit', 'pipe', 'pipe'], env: process.env });
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    scanner.feed(chunk.toString('latin1'), "the tests' stdout");
  });
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    scanner.feed(chunk.toString('latin1'), "the tests' stderr");
  });
  const forward = (signal: NodeJS.Signals): void => forwardSignal(child, signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done) => {
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
}

/** Passes a signal on, and SIGKILLs the tests if they have not ended after a grace period. */
function forwardSignal(child: ChildProcess, signal: NodeJS.Signals): void {
  child.kill(signal);
  setTimeout(() => child.kill('SIGKILL'), CHILD_SIGNAL_GRACE_MS).unref();
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

/** I8 for the whole run: true if no password of the suite showed anywhere; else prints each find. */
function reportSecrets(scanner: SecretScanner): boolean {
  if (scanner.finds.length === 0) {
    log(
      `no password of the suite appeared in the tests' output or their reports (${SUITE_SECRETS.length} passwords, raw and percent-encoded)`,
    );
    return true;
  }
  for (const find of scanner.finds.slice(0, 20)) fail(`a password appeared in ${find.where}: …${find.context}…`);
  return false;
}

function log(message: string): void {
  process.stderr.write(`run-tests: ${message}\n`);
}

function warn(message: string): void {
  process.stderr.write(`\n${'#'.repeat(78)}\n# run-tests WARNING: ${message}\n${'#'.repeat(78)}\n\n`);
}

function fail(message: string): number {
  process.stderr.write(`\n${'#'.repeat(78)}\n# run-tests FAILED: ${message}\n${'#'.repeat(78)}\n\n`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) =>
  fail(error instanceof Error ? error.message : String(error)),
);
