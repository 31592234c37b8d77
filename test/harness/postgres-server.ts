/**
 * Throwaway PostgreSQL servers for tests: own data dir, own port, gone after `stop()`.
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { chmod, chown, copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { adminQuery } from './admin-client.js';
import { copyDataDirTemplate } from './data-dir-template.js';
import { onProcessExit } from './exit-cleanup.js';
import { postgresBinaries, type PostgresBinaries } from './find-binaries.js';
import { freePort } from './free-port.js';
import { ManagedServer } from './managed-server.js';
import { ServerProcess } from './server-process.js';
import { TempDir } from './temp-dir.js';
import { APP_PASSWORD, APP_USER, TEST_DATABASE, appUrl, type ServerTls, type TestServer } from './test-server.js';

/** Options for `startPostgres`. */
export interface PostgresOptions {
  /** Connections non-superusers may hold before SQLSTATE 53300. Default 100. */
  maxConnections?: number;
  /** `idle_session_timeout` in ms (0 = none, the default). */
  idleSessionTimeout?: number;
  /** Serve TLS with this certificate and key (signed by `ca`). Default: no TLS. */
  tls?: ServerTls;
}

/** Slots kept for superusers on top of `maxConnections`, so the harness can always count. */
export const SUPERUSER_RESERVED_CONNECTIONS = 3;

/**
 * The harness's own admin session, held open while the server runs. Superusers take ordinary
 * slots while there are any, so without this one slot app roles would get one fewer.
 */
const ADMIN_SESSIONS = 1;

const HOST = '127.0.0.1';
const PORT_ATTEMPTS = 3;

/**
 * Trust for the superuser (the harness) and over the socket; a real password check for
 * everyone else over TCP, so the app password is actually sent and verified.
 */
const PG_HBA = `# written by the leakproof test harness
local all all trust
host all postgres ${HOST}/32 trust
host all all ${HOST}/32 scram-sha-256
`;

/** An OS identity to run as. */
export interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Starts a PostgreSQL server with database `leakproof_test` and role `app` (`APP_PASSWORD`).
 * `max_connections` is `maxConnections` plus the superuser reserve plus the harness's admin
 * session (kept open), so app roles get exactly `maxConnections`. Runs as the `postgres` OS
 * user when this process is root.
 *
 * @example
 * const server = await startPostgres({ maxConnections: 5 });
 * try { ... } finally { await server.stop(); }
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<TestServer> {
  checkOptions(options);
  const binaries = postgresBinaries();
  if (!binaries) throw new Error('cannot start PostgreSQL: initdb or postgres not found');
  const runAs = serverUser();
  const dir = await TempDir.create('leakproof-postgres-', runAs);
  try {
    const dataDir = join(dir.path, 'data');
    await copyDataDirTemplate('postgres', (templateDir) => buildTemplate(binaries, templateDir, runAs), dataDir, runAs);
    const tls = options.tls === undefined ? undefined : await copyTlsFiles(options.tls, dir.path, runAs);
    return await startOnFreePort(binaries, dir, { ...options, tls }, runAs);
  } catch (error) {
    await dir.remove();
    throw error;
  }
}

async function startOnFreePort(
  binaries: PostgresBinaries,
  dir: TempDir,
  options: PostgresOptions,
  runAs: OsUser | undefined,
): Promise<ManagedServer> {
  for (let attempt = 1; ; attempt++) {
    const { server, serverProcess } = await createServer(binaries, dir, options, runAs);
    try {
      serverProcess.start();
      await server.waitReady();
      return server;
    } catch (error) {
      await serverProcess.kill();
      // Someone took the port between choosing and binding it: choose again.
      if (attempt >= PORT_ATTEMPTS || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

async function createServer(
  binaries: PostgresBinaries,
  dir: TempDir,
  options: PostgresOptions,
  runAs: OsUser | undefined,
): Promise<{ server: ManagedServer; serverProcess: ServerProcess }> {
  const port = await freePort();
  const dataDir = join(dir.path, 'data');
  const address = {
    engine: 'postgres' as const,
    host: HOST,
    port,
    user: APP_USER,
    password: APP_PASSWORD,
    database: TEST_DATABASE,
    url: appUrl({ engine: 'postgres', host: HOST, port, database: TEST_DATABASE }, APP_USER, APP_PASSWORD),
    adminUrl: `postgres://postgres@${HOST}:${port}/postgres`,
  };
  const serverProcess = new ServerProcess({
    name: 'postgres',
    command: binaries.postgres,
    args: serverArgs(dir.path, port, options),
    logFile: join(dir.path, 'postgres.log'),
    stopSignal: 'SIGINT', // "fast" shutdown: ends sessions instead of waiting for them
    ...(runAs ? { runAs } : {}),
  });
  // Registered before the process starts, so at exit it runs after the process is stopped.
  const unregister = onProcessExit(() => releaseSharedMemory(dataDir));
  const server: ManagedServer = new ManagedServer(address, serverProcess, dir, {
    afterStart: async () => {
      await adminQuery(server, 'SELECT 1'); // (re)opens the admin session counted in max_connections
    },
    afterStop: () => {
      releaseSharedMemory(dataDir);
      unregister();
    },
  });
  return { server, serverProcess };
}

function checkOptions({ maxConnections, idleSessionTimeout }: PostgresOptions): void {
  if (maxConnections !== undefined && !(Number.isInteger(maxConnections) && maxConnections >= 1))
    throw new Error(`maxConnections must be an integer >= 1, got ${maxConnections}`);
  if (idleSessionTimeout !== undefined && !(Number.isInteger(idleSessionTimeout) && idleSessionTimeout >= 0))
    throw new Error(`idleSessionTimeout must be whole ms >= 0, got ${idleSessionTimeout}`);
}

function serverArgs(dir: string, port: number, options: PostgresOptions): string[] {
  const maxConnections = (options.maxConnections ?? 100) + SUPERUSER_RESERVED_CONNECTIONS + ADMIN_SESSIONS;
  const settings: Record<string, string | number> = {
    listen_addresses: HOST,
    max_connections: maxConnections,
    superuser_reserved_connections: SUPERUSER_RESERVED_CONNECTIONS,
    idle_session_timeout: options.idleSessionTimeout ?? 0,
    shared_buffers: '16MB',
    // Durability against OS crashes and background work a throwaway server does not need.
    // synchronous_commit stays on: with it off a SIGKILL (kill()) loses recent commits.
    fsync: 'off',
    full_page_writes: 'off',
    wal_level: 'minimal',
    max_wal_senders: 0,
    min_wal_size: '2MB',
    max_wal_size: '64MB',
    autovacuum: 'off',
    jit: 'off',
    // Dynamic shared memory as files in the data dir, removed with it even after a SIGKILL.
    dynamic_shared_memory_type: 'mmap',
    log_line_prefix: '%m [%p] %q%u@%d ',
  };
  if (options.tls !== undefined)
    Object.assign(settings, { ssl: 'on', ssl_ca_file: options.tls.ca, ssl_cert_file: options.tls.cert, ssl_key_file: options.tls.key });
  const flags = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  return ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, ...flags];
}

/**
 * PostgreSQL reads its key only if the server's OS user owns it and nobody else can read it,
 * so the files are copied into the server's own dir with that owner and mode.
 */
async function copyTlsFiles(tls: ServerTls, dir: string, runAs: OsUser | undefined): Promise<ServerTls> {
  const copy = async (from: string, name: string): Promise<string> => {
    const to = join(dir, name);
    await copyFile(from, to);
    await chmod(to, 0o600);
    if (runAs !== undefined) await chown(to, runAs.uid, runAs.gid);
    return to;
  };
  return { ca: await copy(tls.ca, 'tls-ca.pem'), cert: await copy(tls.cert, 'tls-server.pem'), key: await copy(tls.key, 'tls-server.key') };
}

/**
 * initdb, our pg_hba.conf, and the test database and app role, so a started copy needs no
 * setup (CREATE DATABASE alone takes 80-250 ms).
 */
async function buildTemplate(binaries: PostgresBinaries, dataDir: string, runAs: OsUser | undefined): Promise<void> {
  // 1 MB WAL segments instead of 16: every server starts with a copy of this directory.
  const initdbArgs = [
    '-D',
    dataDir,
    '--no-sync',
    '--no-instructions',
    '--wal-segsize=1',
    '-A',
    'trust',
    '-U',
    'postgres',
    '--locale=C',
    '-E',
    'UTF8',
  ];
  await runTool(binaries.initdb, initdbArgs, runAs);
  // Overwriting keeps the file's owner (postgres) and mode.
  writeFileSync(join(dataDir, 'pg_hba.conf'), PG_HBA);
  const single = ['--single', '-D', dataDir, '-F', '-c', 'exit_on_error=on'];
  const createRole = `CREATE ROLE "${APP_USER}" LOGIN PASSWORD '${APP_PASSWORD.replaceAll("'", "''")}'`;
  await runTool(binaries.postgres, [...single, 'postgres'], runAs, `CREATE DATABASE "${TEST_DATABASE}"\n${createRole}\n`);
  // PostgreSQL 15 no longer lets PUBLIC create in schema public; a test database should.
  await runTool(binaries.postgres, [...single, TEST_DATABASE], runAs, 'GRANT ALL ON SCHEMA public TO PUBLIC\n');
}

/** Runs a PostgreSQL tool to completion (bounded), feeding `input` on stdin; throws with its output. */
function runTool(command: string, args: readonly string[], runAs: OsUser | undefined, input = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C' },
      timeout: 60_000,
      ...(runAs ?? {}),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${basename(command)} ${args.join(' ')} failed (${signal ?? `code ${String(code)}`}):\n${output.trim().split('\n').slice(-25).join('\n')}`,
          ),
        );
    });
    child.stdin.end(input);
  });
}

/** The `postgres` OS user when we are root (PostgreSQL refuses root); otherwise ourselves. */
export function serverUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('running as root, but there is no "postgres" OS user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * After a SIGKILL the postmaster leaves its System V shared memory segment behind (a restart
 * would reuse it; a removed data dir never will). `postmaster.pid` still exists only after an
 * unclean end; its 7th line holds the segment's key and id. Remove it if nothing is attached.
 */
function releaseSharedMemory(dataDir: string): void {
  let pidFile: string;
  try {
    pidFile = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return; // clean shutdown, or never started
  }
  const [key, shmid] = (pidFile.split('\n')[6] ?? '').trim().split(/\s+/).map(Number);
  if (key === undefined || shmid === undefined || !Number.isInteger(shmid)) return;
  if (attachedCount(key, shmid) !== 0) return;
  try {
    execFileSync('ipcrm', ['-m', String(shmid)], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // Best effort: a leaked 56-byte segment is not worth failing a test run over.
  }
}

/** `nattch` of the segment with this key and id, from /proc/sysvipc/shm; undefined if absent. */
function attachedCount(key: number, shmid: number): number | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/sysvipc/shm', 'utf8');
  } catch {
    return undefined;
  }
  // Columns: key shmid perms size cpid lpid nattch ...
  const row = table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/).map(Number))
    .find((columns) => columns[0] === key && columns[1] === shmid);
  return row?.[6];
}
