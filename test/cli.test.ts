/**
 * The `leakproof` command line: argument parsing, human durations, every `--help`, and the
 * exit codes (0 no leak, 1 leak, 2 bad usage or unreachable) with passwords masked in
 * whatever is printed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCommand } from '../src/cli/args.js';
import type { CliIo } from '../src/cli/cli-io.js';
import type { CommandSpec } from '../src/cli/command-spec.js';
import { demoSpec } from '../src/cli/commands/demo-spec.js';
import { doctorOptionsFrom } from '../src/cli/commands/doctor.js';
import { doctorSpec } from '../src/cli/commands/doctor-spec.js';
import { probeOptionsFrom } from '../src/cli/commands/probe-options.js';
import { probeSpec } from '../src/cli/commands/probe-spec.js';
import { formatDuration, parseDuration } from '../src/cli/duration.js';
import { packageVersion, runCli } from '../src/cli/run-cli.js';
import { CliUsageError } from '../src/cli/usage-error.js';
import { DISCONNECT_SHAPES, PROBE_DEFAULTS } from '../src/probe/probe-config.js';
import { LeakproofError } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'Cli-S3cret-Pw-4e1b';
const dir = mkdtempSync(join(tmpdir(), 'leakproof-cli-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process, capturing what it writes. */
async function cli(argv: readonly string[], env: Record<string, string> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd: dir,
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

function usageError(fn: () => unknown): CliUsageError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CliUsageError, `expected CliUsageError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a usage error');
}

function probe(...argv: string[]) {
  return probeOptionsFrom(parseCommand(probeSpec, argv), dir);
}

describe('human durations', () => {
  it('reads ms, s, m and h, with decimals', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('0.5s'), 500);
    assert.equal(parseDuration('.25s'), 250);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('0'), 0);
  });

  it('refuses a number without a unit, and says which units exist', () => {
    assert.throws(() => parseDuration('30'), /add a unit: 30s, 30ms or 30m/);
    assert.throws(() => parseDuration('soon'), /not a duration.*500ms, 30s, 2m/);
    assert.throws(() => parseDuration('-1s'), /not a duration/);
    assert.throws(() => parseDuration('1d'), /not a duration/);
  });

  it('formats back the way people write them', () => {
    assert.deepEqual([500, 1500, 2000, 60_000, 90_000, 3_600_000, 1234].map(formatDuration), [
      '500ms',
      '1.5s',
      '2s',
      '1m',
      '1m30s',
      '1h',
      '1234ms',
    ]);
  });
});

describe('leakproof probe arguments', () => {
  it('passes on only what was given; the probe applies its own defaults', () => {
    assert.deepEqual(probe('http://localhost:3000/', '--db', 'mysql://app@db/app'), {
      url: 'http://localhost:3000/',
      db: 'mysql://app@db/app',
    });
  });

  it('maps every option to ProbeOptions, in milliseconds', () => {
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, '{"choice":2}');
    const options = probe(
      'http://localhost:3000/polls/1/vote',
      '--db',
      'postgres://app@db/app',
      '-c',
      '80',
      '--duration',
      '30s',
      '--rounds',
      '4',
      '--pause',
      '1.5s',
      '--abort-ratio',
      '0.35',
      '--abort-after',
      '20ms',
      '--shapes',
      'abort-mid-body,abort-post-body',
      '--settle',
      '10s,0.5s,2s',
      '--allowed-idle',
      '10',
      '--max-connections',
      '40',
      '-X',
      'post',
      '-H',
      'content-type: application/json',
      '--header',
      'x-trace:  on ',
      '--body',
      '@body.json',
      '--timeout',
      '5s',
      '--db-user',
      'app',
      '--db-database',
      'app',
      '--db-host',
      '10.0.0.5',
      '--sample-interval',
      '50ms',
    );
    assert.deepEqual(options, {
      url: 'http://localhost:3000/polls/1/vote',
      db: 'postgres://app@db/app',
      concurrency: 80,
      durationMs: 30_000,
      rounds: 4,
      pauseMs: 1500,
      abortRatio: 0.35,
      abortAfterMs: 20,
      shapes: ['abort-mid-body', 'abort-post-body'],
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-trace': 'on' },
      body: '{"choice":2}',
      requestTimeoutMs: 5000,
      settlePointsMs: [500, 2000, 10_000],
      allowedIdle: 10,
      maxConnections: 40,
      sampleIntervalMs: 50,
      filter: { user: 'app', database: 'app', host: '10.0.0.5' },
    });
  });

  it('takes --shapes all, --requests, and a plain --body', () => {
    const options = probe(
      'http://x/',
      '--db',
      'http://x/metrics',
      '--shapes',
      'all',
      '-n',
      '200',
      '--body',
      'hello',
      '--metric',
      'pool_open',
    );
    assert.deepEqual(options.shapes, DISCONNECT_SHAPES);
    assert.equal(options.requests, 200);
    assert.equal(options.body, 'hello');
    assert.equal(options.metric, 'pool_open');
  });

  it('says what is wrong, naming the option', () => {
    const cases: [string[], RegExp][] = [
      [['--db', 'mysql://a@b/c'], /missing <url>/],
      [['http://x/'], /missing --db/],
      [['http://x/', '--db', 'mysql://a@b/c', '--requests', '10', '--duration', '5s'], /--requests or --duration, not both/],
      [['http://x/', '--db', 'mysql://a@b/c', '--concurrency', 'lots'], /--concurrency must be a whole number from 1 to 10000, got "lots"/],
      [['http://x/', '--db', 'mysql://a@b/c', '--concurrency', '0'], /--concurrency must be from 1 to 10000/],
      // A negative number is the option's value, not another option.
      [['http://x/', '--db', 'mysql://a@b/c', '--concurrency', '-3'], /--concurrency must be from 1 to 10000, got "-3"/],
      [['http://x/', '--db', 'mysql://a@b/c', '-c', '-3'], /--concurrency must be from 1 to 10000, got "-3"/],
      [['http://x/', '--db', 'mysql://a@b/c', '--abort-ratio', '-.5'], /--abort-ratio must be from 0 to 1, got "-.5"/],
      [['http://x/', '--db', 'mysql://a@b/c', '--abort-ratio', '1.5'], /--abort-ratio must be from 0 to 1, got "1.5"/],
      [['http://x/', '--db', 'mysql://a@b/c', '--pause', '2'], /--pause: "2" is not a duration \(add a unit: 2s, 2ms or 2m\)/],
      [['http://x/', '--db', 'mysql://a@b/c', '--settle', '1s,0'], /--settle: every point must be after the load stops/],
      [['http://x/', '--db', 'mysql://a@b/c', '--shapes', 'abort-early'], /unknown shape "abort-early"/],
      [['http://x/', '--db', 'mysql://a@b/c', '-H', 'no-colon'], /--header must look like 'name: value'/],
      [['http://x/', '--db', 'mysql://a@b/c', '--body', '@missing.json'], /--body @missing.json: cannot read the file \(ENOENT\)/],
      [['http://x/', '--db', 'mysql://a@b/c', '--concurency', '5'], /unknown option --concurency \(did you mean --concurrency\?\)/],
      [['http://x/', '--db'], /--db needs a value/],
      [['http://x/', 'http://y/', '--db', 'mysql://a@b/c'], /unexpected argument "http:\/\/y\/"/],
      [['http://x/', '--db', 'mysql://a@b/c', '--json=yes'], /--json does not take a value/],
    ];
    for (const [argv, message] of cases) {
      const error = usageError(() => probe(...argv));
      assert.match(error.message, message, argv.join(' '));
      assert.equal(error.command, 'probe');
    }
  });
});

describe('leakproof doctor arguments', () => {
  const doctor = (...argv: string[]) => doctorOptionsFrom(parseCommand(doctorSpec, argv));

  it('maps the options', () => {
    assert.deepEqual(doctor('--db', 'mariadb://root@db/app', '-p', '4', '-b', '50', '--idle-older-than', '5m', '--timeout', '2s'), {
      db: 'mariadb://root@db/app',
      processes: 4,
      budget: 50,
      sleepingOlderThanMs: 300_000,
      connectTimeoutMs: 2000,
    });
  });

  it('wants a server URL, and processes with budget', () => {
    assert.match(usageError(() => doctor()).message, /missing --db/);
    assert.match(usageError(() => doctor('--db', 'sqlite:./app.sqlite3')).message, /SQLite has no server/);
    assert.match(usageError(() => doctor('--db', 'mysql://a@b/c', '--processes', '4')).message, /--processes and --budget together/);
    assert.match(usageError(() => doctor('--db', 'mysql://a@b/c', '--budget', '0', '--processes', '1')).message, /--budget must be/);
  });
});

describe('--help', () => {
  const specs: readonly CommandSpec[] = [probeSpec, doctorSpec, demoSpec];

  for (const spec of specs) {
    it(`${spec.name}: usage, every option with its default, examples and exit codes`, async () => {
      for (const argv of [
        [spec.name, '--help'],
        [spec.name, '-h'],
        ['help', spec.name],
        [spec.name, '--help', '--bogus'],
      ]) {
        const { code, stdout, stderr } = await cli(argv);
        assert.equal(code, 0, argv.join(' '));
        assert.equal(stderr, '');
        assert.match(stdout, new RegExp(`^leakproof ${spec.name} — `));
        for (const heading of ['Usage:', 'Options:', 'Examples:', 'Exit codes:'])
          assert.ok(stdout.includes(heading), `${spec.name} help lacks ${heading}`);
        for (const option of spec.options) {
          assert.ok(stdout.includes(`--${option.name}`), `${spec.name} help lacks --${option.name}`);
          if (option.default !== undefined)
            assert.ok(stdout.includes(`default: ${option.default}`), `${spec.name} help lacks the default of --${option.name}`);
        }
        for (const [exit] of spec.exitCodes) assert.match(stdout, new RegExp(`^  ${exit}  `, 'm'));
      }
    });
  }

  it("probe help shows the probe's own defaults", async () => {
    const { stdout } = await cli(['probe', '--help']);
    assert.match(stdout, new RegExp(`--concurrency <n>\\s+requests in flight at once \\(default: ${PROBE_DEFAULTS.concurrency}\\)`));
    assert.match(stdout, /--settle <times>.*\(default: 500ms,2s,10s\)/);
  });

  it('the top level lists the commands; no command at all is bad usage', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const { code, stdout } = await cli(argv);
      assert.equal(code, 0);
      for (const name of ['demo', 'probe', 'doctor']) assert.match(stdout, new RegExp(`^  ${name} `, 'm'));
    }
    const bare = await cli([]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /Commands:/);
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await cli(['--version']);
    assert.equal(code, 0);
    assert.equal(stdout.trim(), packageVersion());
    assert.match(stdout, /^\d+\.\d+\.\d+/);
  });
});

describe('probe options from the environment, and every problem at once', () => {
  it('--db comes from LEAKPROOF_DB_URL, or from the variable --db-env names, so no password is typed', async () => {
    const app = await fakeApp(() => 0);
    try {
      const args = app.probeArgs.filter((arg, i, all) => arg !== '--db' && all[i - 1] !== '--db');
      const fromDefault = await cli([...args, '--json'], { LEAKPROOF_DB_URL: app.metricsUrl });
      assert.equal((JSON.parse(fromDefault.stdout) as { config: { db: string } }).config.db, app.metricsUrl, fromDefault.stderr);
      const fromNamed = await cli([...args, '--json', '--db-env', 'DATABASE_URL'], { DATABASE_URL: app.metricsUrl });
      assert.equal((JSON.parse(fromNamed.stdout) as { config: { db: string } }).config.db, app.metricsUrl, fromNamed.stderr);
      const unset = await cli([...args, '--db-env', 'DATABASE_URL']);
      assert.equal(unset.code, 2);
      assert.match(unset.stderr, /--db-env DATABASE_URL: the variable is not set/);
    } finally {
      await app.close();
    }
  });

  it('reports every bad option in one go', async () => {
    const { code, stderr } = await cli([
      'probe',
      'http://127.0.0.1:1/',
      '--concurrency',
      '0',
      '--abort-ratio',
      '3',
      '--shapes',
      'sideways',
    ]);
    assert.equal(code, 2);
    assert.match(stderr, /--db/);
    assert.match(stderr, /--concurrency/);
    assert.match(stderr, /--abort-ratio/);
    assert.match(stderr, /sideways/);
  });
});

describe('exit codes and messages', () => {
  it('bad usage exits 2 with the problem and a pointer to --help, password masked', async () => {
    const { code, stdout, stderr } = await cli([
      'probe',
      'http://localhost:1/',
      '--db',
      `mysql://app:${SECRET}@db/app`,
      '--rounds',
      'three',
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^leakproof probe: --rounds must be a whole number/);
    assert.match(stderr, /Run "leakproof probe --help" for usage/);
    assert.ok(!stderr.includes(SECRET));
  });

  it('an unknown command exits 2 and suggests one', async () => {
    const { code, stderr } = await cli(['doctr']);
    assert.equal(code, 2);
    assert.match(stderr, /unknown command "doctr" \(did you mean doctor\?\)/);
  });

  it('options the probe itself rejects (PROBE_USAGE) exit 2 too', async () => {
    const { code, stderr } = await cli(['probe', 'ftp://x/', '--db', 'mysql://a@b/c']);
    assert.equal(code, 2);
    assert.match(stderr, /"url" must be an http:\/\/ or https:\/\/ URL/);
  });

  it('an unreachable database exits 2, and the password never shows', async () => {
    const { code, stdout, stderr } = await cli([
      'probe',
      'http://127.0.0.1:1/',
      '--db',
      `mysql://app:${SECRET}@127.0.0.1:1/app`,
      '-n',
      '1',
      '--rounds',
      '1',
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /cannot read the connection count from mysql:\/\/app:\*\*\*@127\.0\.0\.1:1\/app/);
    assert.ok(!stderr.includes(SECRET), stderr);
  });

  it('an unreachable database with --json: a JSON error object on stdout, exit 2, no password', async () => {
    const { code, stdout, stderr } = await cli([
      'probe',
      'http://127.0.0.1:1/',
      '--db',
      `mysql://app:${SECRET}@127.0.0.1:1/app`,
      '-n',
      '1',
      '--rounds',
      '1',
      '--json',
    ]);
    assert.equal(code, 2);
    const printed = JSON.parse(stdout) as { error: { code: string; message: string }; exitCode: number };
    assert.equal(printed.error.code, 'PROBE_UNREACHABLE');
    assert.equal(printed.exitCode, 2);
    assert.match(printed.error.message, /mysql:\/\/app:\*\*\*@127\.0\.0\.1:1\/app/);
    assert.ok(!stdout.includes(SECRET) && !stderr.includes(SECRET));
    const usage = await cli(['probe', 'http://x/', '--db', 'mysql://a@b/c', '--concurrency', '-3', '--json']);
    assert.equal((JSON.parse(usage.stdout) as { error: { code: string } }).error.code, 'CLI_USAGE');
  });

  it('an unreachable doctor database exits 2, without library noise such as (alias=default)', async () => {
    const { code, stderr } = await cli(['doctor', '--db', `postgres://app:${SECRET}@127.0.0.1:1/app`, '--timeout', '2s']);
    assert.equal(code, 2);
    assert.match(stderr, /^leakproof doctor: .*:\*\*\*@127\.0\.0\.1:1/);
    assert.doesNotMatch(stderr, /alias/);
    assert.ok(!stderr.includes(SECRET), stderr);
  });

  it('a missing driver package says which one to npm install, for a subpath import too', async () => {
    const { importPackage } = await import('../src/drivers/import-package.js');
    for (const specifier of ['leakproof-no-such-driver', 'leakproof-no-such-driver/promise']) {
      const error = await importPackage(specifier, 'mysql:').catch((e: unknown) => e);
      assert.ok(error instanceof LeakproofError && error.code === 'DRIVER_MISSING', String(error));
      assert.match(error.message, /run: npm install leakproof-no-such-driver$/);
      assert.doesNotMatch(error.message, /ERR_MODULE_NOT_FOUND|\/promise/);
    }
  });

  it('an unreachable target exits 2', async () => {
    const metrics = await fakeApp(() => 0);
    try {
      const { code, stderr } = await cli(['probe', 'http://127.0.0.1:1/', '--db', metrics.metricsUrl, '-n', '1', '--rounds', '1']);
      assert.equal(code, 2);
      assert.match(stderr, /cannot reach the target GET http:\/\/127\.0\.0\.1:1\//);
    } finally {
      await metrics.close();
    }
  });

  it('exit 0 when the count comes back, with --json on stdout and the HTML report written', async () => {
    const app = await fakeApp((inFlight) => inFlight);
    try {
      const report = join(dir, 'ok.html');
      const { code, stdout, stderr } = await cli([...app.probeArgs, '--json', '--report', 'ok.html']);
      assert.equal(code, 0, stderr);
      const result = JSON.parse(stdout) as { verdict: { kind: string } };
      assert.equal(result.verdict.kind, 'no-leak');
      assert.ok(existsSync(report));
      assert.match(readFileSync(report, 'utf8'), /<svg/);
      assert.match(stderr, /HTML report written to .*ok\.html/);
    } finally {
      await app.close();
    }
  });

  it('exit 1 when connections stay open after the load, with the text verdict', async () => {
    let leaked = 0;
    const app = await fakeApp((inFlight, requests) => {
      leaked = Math.max(leaked, Math.min(3, requests));
      return inFlight + leaked;
    });
    try {
      const { code, stdout } = await cli([...app.probeArgs, '--no-color']);
      assert.equal(code, 1, stdout);
      assert.match(stdout, /LEAK/);
      assert.ok(!stdout.includes('\u001b['), 'no colours with --no-color');
    } finally {
      await app.close();
    }
  });

  it('refuses a --report in a directory that does not exist, before any load', async () => {
    const { code, stderr } = await cli(['probe', 'http://127.0.0.1:1/', '--db', 'http://127.0.0.1:1/metrics', '--report', 'nope/r.html']);
    assert.equal(code, 2);
    assert.match(stderr, /--report nope\/r\.html: the directory .* does not exist/);
  });
});

describe('the leakproof bin', () => {
  it('runs from source: node --import tsx src/cli/main.ts --help', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^leakproof \d+\.\d+\.\d+ — /);
    assert.match(run.stdout, /leakproof demo/);
  });

  it("keeps its shebang and is the package's bin", () => {
    assert.match(readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    assert.equal(pkg.bin?.['leakproof'], './dist/cli/main.js');
  });
});

/**
 * A stand-in app: answers every request after 20 ms, and serves a gauge computed from the
 * requests in flight and the requests seen so far.
 */
async function fakeApp(gauge: (inFlight: number, requests: number) => number) {
  let inFlight = 0;
  let requests = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      res.end(`# TYPE leakproof_connections_open gauge\nleakproof_connections_open{alias="default"} ${gauge(inFlight, requests)}\n`);
      return;
    }
    inFlight++;
    requests++;
    const done = (): void => {
      inFlight--;
    };
    res.once('close', done);
    setTimeout(() => res.end('ok'), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    metricsUrl: `${base}/metrics`,
    probeArgs: [
      'probe',
      `${base}/`,
      '--db',
      `${base}/metrics`,
      '-c',
      '4',
      '-n',
      '20',
      '--rounds',
      '1',
      '--pause',
      '0',
      '--settle',
      '0.2s',
      '--sample-interval',
      '20ms',
    ],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
