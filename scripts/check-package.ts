/**
 * The packed package, checked the way a user meets it (`npm run check:package`, run by CI
 * after the build):
 *
 * 1. `npm pack`; the tarball holds LICENSE, README.md, docs/ (the README's links), the built
 *    demo app, and every source map's sources (so stack traces name files that exist);
 * 2. publint and @arethetypeswrong/cli (ESM-only profile) on the tarball;
 * 3. a fresh app installs the tarball (and better-sqlite3), then: an ESM import of every
 *    subpath (those needing a peer fail naming it until kysely and drizzle-orm are installed,
 *    then run a query each through leakproof/kysely and leakproof/drizzle), a CommonJS
 *    `require('leakproof')` and of both query-builder subpaths (Node >= 20.19, see README), a query on SQLite,
 *    a stack trace through the source maps, and `npx leakproof demo --quick`, which must
 *    print "no leak" and exit 0.
 *
 * Prints one line per check and `N passed, N failed`; exits 1 if any failed.
 *
 * @module
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Subpaths that load without any optional peer dependency installed. */
const SUBPATHS = [
  'leakproof',
  'leakproof/http',
  'leakproof/diagnostics',
  'leakproof/express',
  'leakproof/hono',
  'leakproof/probe',
  'leakproof/doctor',
];
/** Subpaths that need a peer at load time, and which. */
const PEER_SUBPATHS = [
  ['leakproof/prometheus', 'prom-client'],
  ['leakproof/fastify', 'fastify-plugin'],
  ['leakproof/kysely', 'kysely'],
  ['leakproof/drizzle', 'drizzle-orm'],
] as const;
/** The query builders' subpaths run a query each on SQLite once their peers are installed. */
const QUERY_BUILDER_CHECK = `
  const { createDatabases } = await import('leakproof');
  const { Kysely, sql } = await import('kysely');
  const { LeakproofDialect } = await import('leakproof/kysely');
  const { drizzle } = await import('leakproof/drizzle');
  const { sql: dsql } = await import('drizzle-orm');
  const dbs = createDatabases({ default: { url: 'sqlite::memory:', maxConnections: 1 } });
  const k = new Kysely({ dialect: new LeakproofDialect(dbs.get()) });
  const { rows } = await dbs.run(() => sql\`SELECT 41 + 1 AS answer\`.execute(k));
  const [pair] = await dbs.run(() => drizzle(dbs.get(), { dialect: 'sqlite' }).values(dsql\`SELECT 1 AS id, 2 AS id\`));
  await dbs.close();
  if (rows[0].answer !== 42 || pair.join() !== '1,2') throw new Error('wrong answers ' + JSON.stringify([rows, pair]));
  console.log('query builders ok');`;

let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name}${
      ok || detail === ''
        ? ''
        : `\n${detail
            .trim()
            .split('\n')
            .slice(-25)
            .map((line) => `     ${line}`)
            .join('\n')}`
    }`,
  );
}

/** `name@version` of a package as installed in this checkout. */
function installedSpec(name: string): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return `${name}@${version}`;
}

function run(command: string, args: readonly string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, NO_COLOR: '1', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' },
  });
}

function output(result: SpawnSyncReturns<string>): string {
  return `exit ${String(result.status)}${result.signal === null ? '' : ` (${result.signal})`}\n${result.stdout}\n${result.stderr}`;
}

const work = mkdtempSync(join(tmpdir(), 'leakproof-package-'));
try {
  // 1. The tarball's contents.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' })) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = join(work, packed[0]!.filename);
  const files = new Set(packed[0]!.files.map((file) => file.path));
  for (const required of [
    'LICENSE',
    'README.md',
    'package.json',
    'docs/errors.md',
    'docs/tls.md',
    'docs/probe-report.png',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/cli/main.js',
    'dist/examples/polls/server.js',
    'src/index.ts',
  ]) {
    check(`the tarball has ${required}`, files.has(required));
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository?: unknown; engines?: { node?: string } };
  check('package.json names its repository', pkg.repository !== undefined);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(((?!https?:|#)[^)\s#]+)/g)].map((m) => m[1]!.replace(/^\.\//, '').replace(/\/$/, ''));
  const broken = links.filter((link) => !files.has(link) && ![...files].some((file) => file.startsWith(`${link}/`)));
  check(`every relative link of the README (${links.length}) is in the tarball`, broken.length === 0, broken.join('\n'));
  const maps = [...files].filter((file) => file.endsWith('.js.map'));
  const missing = maps.flatMap((map) => {
    const sources = (JSON.parse(readFileSync(join(ROOT, map), 'utf8')) as { sources: string[] }).sources;
    return sources.map((source) => join(dirname(map), source)).filter((source) => !files.has(source));
  });
  check(
    `the sources of all ${maps.length} source maps are in the tarball`,
    maps.length > 0 && missing.length === 0,
    missing.slice(0, 10).join('\n'),
  );

  // 2. The linters of packages.
  const publint = run(join(ROOT, 'node_modules/.bin/publint'), ['run', tarball, '--strict'], ROOT);
  check('publint --strict', publint.status === 0, output(publint));
  const attw = run(join(ROOT, 'node_modules/.bin/attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], ROOT);
  check('@arethetypeswrong/cli --profile esm-only', attw.status === 0, output(attw));

  // 3. A fresh app.
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }, null, 2));
  // better-sqlite3 from this checkout (its native build is already made), the rest from the npm cache.
  const install = run(
    'npm',
    ['install', '--prefer-offline', '--no-package-lock', tarball, join(ROOT, 'node_modules/better-sqlite3')],
    app,
    300_000,
  );
  check('npm install of the tarball into a fresh app', install.status === 0, output(install));

  const esm = run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    ${SUBPATHS.map((name, i) => `const m${i} = await import('${name}'); if (Object.keys(m${i}).length === 0) throw new Error('${name} exports nothing');`).join('\n')}
    const { createDatabases } = m0;
    const dbs = createDatabases({ default: { url: 'sqlite::memory:', maxConnections: 1 } });
    const [row] = await dbs.run(() => dbs.get().query('SELECT 41 + 1 AS answer'));
    await dbs.close();
    if (row.answer !== 42) throw new Error('wrong answer ' + JSON.stringify(row));
    console.log('esm ok');`,
    ],
    app,
  );
  check(`ESM import of ${SUBPATHS.length} subpaths and a query on SQLite`, esm.status === 0 && esm.stdout.includes('esm ok'), output(esm));

  for (const [subpath, peer] of PEER_SUBPATHS) {
    const missingPeer = run(process.execPath, ['--input-type=module', '-e', `await import('${subpath}')`], app);
    check(
      `${subpath} without ${peer} fails naming ${peer}`,
      missingPeer.status !== 0 && missingPeer.stderr.includes(`'${peer}'`),
      output(missingPeer),
    );
  }

  // The versions this checkout tests against, from the npm cache (a folder install here trips npm).
  const peers = run(
    'npm',
    ['install', '--prefer-offline', '--no-package-lock', ...['kysely', 'drizzle-orm'].map(installedSpec)],
    app,
    300_000,
  );
  check('npm install of kysely and drizzle-orm beside it', peers.status === 0, output(peers));
  const builders = run(process.execPath, ['--input-type=module', '-e', QUERY_BUILDER_CHECK], app);
  check(
    'ESM import of leakproof/kysely and leakproof/drizzle, a query through each on SQLite',
    builders.status === 0 && builders.stdout.includes('query builders ok'),
    output(builders),
  );

  const cjs = run(
    process.execPath,
    [
      '-e',
      `
    const { createDatabases, LeakproofError } = require('leakproof');
    const { withDatabases } = require('leakproof/http');
    const { LeakproofDialect } = require('leakproof/kysely');
    const { drizzle } = require('leakproof/drizzle');
    if (typeof createDatabases !== 'function' || typeof withDatabases !== 'function' || typeof LeakproofError !== 'function') throw new Error('missing exports');
    if (typeof LeakproofDialect !== 'function' || typeof drizzle !== 'function') throw new Error('missing query-builder exports');
    console.log('cjs ok');`,
    ],
    app,
  );
  check(`CommonJS require('leakproof') on Node ${process.version}`, cjs.status === 0 && cjs.stdout.includes('cjs ok'), output(cjs));

  const trace = run(
    process.execPath,
    [
      '--enable-source-maps',
      '--input-type=module',
      '-e',
      `
    import { createDatabases } from 'leakproof';
    try { createDatabases({ default: 'oracle://x' }); } catch (error) { console.log(error.stack); }`,
    ],
    app,
  );
  const frame = /\((\/[^():]+\/node_modules\/leakproof\/src\/[^():]+\.ts):\d+:\d+\)/.exec(trace.stdout);
  check(
    'a stack trace through the source maps names a .ts file that exists in the install',
    frame !== null && existsSync(frame[1]!),
    output(trace),
  );

  const demo = run('npx', ['--no-install', 'leakproof', 'demo', '--quick', '--report', join(work, 'demo.html')], app, 120_000);
  check(
    'npx leakproof demo --quick from the install: exit 0, "no leak", a report',
    demo.status === 0 && /no leak/i.test(demo.stdout + demo.stderr) && existsSync(join(work, 'demo.html')),
    output(demo),
  );
  check('the install has no TypeScript loader (the demo ran on the built app)', !readdirSync(join(app, 'node_modules')).includes('tsx'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
