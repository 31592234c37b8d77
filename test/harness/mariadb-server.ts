/**
 * Throwaway MariaDB servers for tests: own data dir, own ports, gone after `stop()`.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ballast, BALLAST_USER } from './mariadb-ballast.js';
import { copyDataDirTemplate } from './data-dir-template.js';
import { mariadbBinaries, type MariadbBinaries } from './find-binaries.js';
import { freePort } from './free-port.js';
import { ManagedServer } from './managed-server.js';
import { ServerProcess } from './server-process.js';
import { TempDir } from './temp-dir.js';
import {
  APP_PASSWORD,
  APP_USER,
  TEST_DATABASE,
  appUrl,
  createUser,
  prepareTestDatabase,
  type ServerTls,
  type TestServer,
} from './test-server.js';

const run = promisify(execFile);

/** Options for `startMariadb`. */
export interface MariadbOptions {
  /** Connections non-admin users may hold before MySQL errno 1040. Default 151 (MariaDB's). */
  maxConnections?: number;
  /** `wait_timeout`: seconds an idle session lives before the server closes it. Default 28800. */
  waitTimeout?: number;
  /** Serve TLS with this certificate and key (signed by `ca`). Default: no TLS. */
  tls?: ServerTls;
}

/** MariaDB rejects `max_connections` below this; lower limits are made with ballast sessions. */
export const MARIADB_MIN_MAX_CONNECTIONS = 10;

const HOST = '127.0.0.1';
const PORT_ATTEMPTS = 3;
// Must be the same at install and at start, or InnoDB resizes its redo log on every start.
const INNODB_SIZES = ['--innodb-buffer-pool-size=16M', '--innodb-log-file-size=4M'];

/**
 * Starts a MariaDB server with database `leakproof_test` and user `app` (`APP_PASSWORD`).
 * The admin URL uses root on MariaDB's `extra_port`, whose connections do not count against
 * `max_connections`, so the harness can still count after the app hit the limit.
 *
 * @example
 * const server = await startMariadb({ maxConnections: 5, waitTimeout: 2 });
 * try { ... } finally { await server.stop(); }
 */
export async function startMariadb(options: MariadbOptions = {}): Promise<TestServer> {
  checkOptions(options);
  const binaries = mariadbBinaries();
  if (!binaries) throw new Error('cannot start MariaDB: mariadbd or mariadb-install-db not found');
  const dir = await TempDir.create('leakproof-mariadb-');
  try {
    const dataDir = join(dir.path, 'data');
    await copyDataDirTemplate('mariadb', (templateDir, workDir) => installDb(binaries, templateDir, workDir), dataDir);
    return await startOnFreePorts(binaries, dir, options);
  } catch (error) {
    await dir.remove();
    throw error;
  }
}

async function startOnFreePorts(binaries: MariadbBinaries, dir: TempDir, options: MariadbOptions): Promise<ManagedServer> {
  for (let attempt = 1; ; attempt++) {
    const { server, serverProcess } = await createServer(binaries, dir, options);
    try {
      serverProcess.start();
      await server.waitReady();
      return server;
    } catch (error) {
      await serverProcess.kill();
      // Someone took a port between choosing and binding it: choose again.
      if (attempt >= PORT_ATTEMPTS || !/address already in use|bind on tcp\/ip port/i.test(String(error))) throw error;
    }
  }
}

async function createServer(
  binaries: MariadbBinaries,
  dir: TempDir,
  options: MariadbOptions,
): Promise<{ server: ManagedServer; serverProcess: ServerProcess }> {
  const [port, extraPort] = await twoFreePorts();
  const maxConnections = options.maxConnections ?? 151;
  const address = {
    engine: 'mariadb' as const,
    host: HOST,
    port,
    user: APP_USER,
    password: APP_PASSWORD,
    database: TEST_DATABASE,
    url: appUrl({ engine: 'mariadb', host: HOST, port, database: TEST_DATABASE }, APP_USER, APP_PASSWORD),
    adminUrl: `mysql://root@${HOST}:${extraPort}/`,
  };
  const serverProcess = new ServerProcess({
    name: 'mariadbd',
    command: binaries.mariadbd,
    args: serverArgs(dir.path, port, extraPort, options),
    logFile: join(dir.path, 'mariadbd.out'),
    extraLogFiles: [join(dir.path, 'mariadbd.err')],
    stopSignal: 'SIGTERM',
  });
  const ballastCount = Math.max(0, MARIADB_MIN_MAX_CONNECTIONS - maxConnections);
  const ballast = new Ballast(appUrl(address, BALLAST_USER, APP_PASSWORD), ballastCount);
  let prepared = false;
  const server: ManagedServer = new ManagedServer(address, serverProcess, dir, {
    afterStart: async () => {
      if (!prepared) await prepare(server, ballastCount > 0);
      prepared = true;
      await ballast.open();
    },
    beforeDown: () => ballast.close(),
  });
  return { server, serverProcess };
}

async function twoFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  // The kernel may hand out the port it just freed again; a few tries always differ.
  for (let attempt = 0; attempt < 5; attempt++) {
    const second = await freePort();
    if (second !== first) return [first, second];
  }
  throw new Error('could not find two distinct free ports');
}

async function prepare(server: TestServer, withBallast: boolean): Promise<void> {
  await prepareTestDatabase(server);
  await createUser(server, APP_USER, APP_PASSWORD);
  if (withBallast) await createUser(server, BALLAST_USER, APP_PASSWORD);
}

function checkOptions({ maxConnections, waitTimeout }: MariadbOptions): void {
  if (maxConnections !== undefined && !(Number.isInteger(maxConnections) && maxConnections >= 1))
    throw new Error(`maxConnections must be an integer >= 1, got ${maxConnections}`);
  if (waitTimeout !== undefined && !(Number.isInteger(waitTimeout) && waitTimeout >= 1))
    throw new Error(`waitTimeout must be whole seconds >= 1, got ${waitTimeout}`);
}

function serverArgs(dir: string, port: number, extraPort: number, options: MariadbOptions): string[] {
  const maxConnections = Math.max(options.maxConnections ?? 151, MARIADB_MIN_MAX_CONNECTIONS);
  return [
    '--no-defaults', // must come first
    `--datadir=${join(dir, 'data')}`,
    `--tmpdir=${dir}`,
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mariadbd.pid')}`,
    `--log-error=${join(dir, 'mariadbd.err')}`,
    `--bind-address=${HOST}`,
    `--port=${port}`,
    `--extra-port=${extraPort}`,
    '--extra-max-connections=64',
    `--max-connections=${maxConnections}`,
    `--wait-timeout=${options.waitTimeout ?? 28_800}`,
    ...(options.tls === undefined ? [] : [`--ssl-ca=${options.tls.ca}`, `--ssl-cert=${options.tls.cert}`, `--ssl-key=${options.tls.key}`]),
    ...rootUser(),
    ...INNODB_SIZES,
    ...FAST_AND_SMALL,
  ];
}

/**
 * Durability against OS crashes and features a throwaway server does not need. Commits still
 * reach the OS at once (flush_log_at_trx_commit=2), so they survive a SIGKILL (kill()).
 */
const FAST_AND_SMALL = [
  '--skip-log-bin',
  '--skip-name-resolve',
  '--performance-schema=OFF',
  '--innodb-doublewrite=0',
  '--innodb-flush-log-at-trx-commit=2',
  '--innodb-buffer-pool-load-at-startup=OFF',
  '--innodb-buffer-pool-dump-at-shutdown=OFF',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_unicode_ci',
];

function rootUser(): string[] {
  // mariadbd refuses to run as root unless told to, and must not switch user on its own.
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

async function installDb(binaries: MariadbBinaries, dataDir: string, workDir: string): Promise<void> {
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
    ...rootUser(),
    ...INNODB_SIZES,
  ];
  try {
    await run(binaries.installDb, args, { cwd: workDir, timeout: 60_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`mariadb-install-db failed: ${String(error)}\n${tail(`${stdout ?? ''}\n${stderr ?? ''}`)}`);
  }
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
