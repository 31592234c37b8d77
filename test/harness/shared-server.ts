/**
 * One server per engine for the whole test run, and the pattern test files loop over engines
 * with.
 *
 * ```ts
 * import { before, describe, it } from 'node:test';
 * import { engineTargets } from './harness/shared-server.js';
 * import { countConnections } from './harness/count-connections.js';
 * import type { TestServer } from './harness/test-server.js';
 *
 * for (const target of engineTargets()) {
 *   describe(target.engine, { skip: target.skip }, () => {
 *     let server: TestServer;
 *     before(async () => {
 *       server = await target.server(); // shared, with this process's own app user
 *     });
 *     it('releases', async () => {
 *       // ... use server.url ...
 *       assert.equal(await countConnections(server), 0); // counts only this process's user
 *     });
 *   });
 * }
 * ```
 *
 * A file that needs limits, a kill or a restart starts its own with `target.start({...})` and
 * stops it in `after`. `scripts/run-tests.ts` starts the shared servers once and passes their
 * admin URLs in `LEAKPROOF_MARIADB_URL` / `LEAKPROOF_POSTGRES_URL`; a test file run directly
 * (`node --import tsx --test test/x.test.ts`) starts its own shared server instead. Without
 * server binaries the engine is skipped with a loud warning, or fails with `LEAKPROOF_REQUIRE_DB=1`.
 *
 * @module
 */
import { adminQuery, urlParts } from './admin-client.js';
import { onLoopDrained } from './exit-cleanup.js';
import { missingBinaries } from './find-binaries.js';
import { startServer, type StartOptions } from './start-server.js';
import {
  ENGINES,
  TEST_DATABASE,
  createAppUser,
  prepareTestDatabase,
  type AppUser,
  type Engine,
  type ServerLocation,
  type TestServer,
} from './test-server.js';

/** `max_connections` (for app users) of shared servers: room for every concurrent test file. */
export const SHARED_MAX_CONNECTIONS = 300;

/** The environment variable holding an engine's shared admin URL. */
export const SHARED_URL_ENV: Readonly<Record<Engine, string>> = {
  mariadb: 'LEAKPROOF_MARIADB_URL',
  postgres: 'LEAKPROOF_POSTGRES_URL',
};

/** One engine as a test file sees it. */
export interface EngineTarget {
  readonly engine: Engine;
  /** `false` if the engine can run here; otherwise why not, for `describe(..., { skip })`. */
  readonly skip: string | false;
  /** The shared server, seen through an app user of this process's own. Throws if unavailable. */
  server(): Promise<TestServer>;
  /** A dedicated server this file owns (and must stop). */
  start(options?: StartOptions): Promise<TestServer>;
}

const shared = new Map<Engine, Promise<TestServer | undefined>>();
const warned = new Set<Engine>();

/** The engines to loop over, each with its skip reason. See the module comment for the pattern. */
export function engineTargets(engines: readonly Engine[] = ENGINES): EngineTarget[] {
  return engines.map((engine) => ({
    engine,
    skip: skipReason(engine),
    server: async () => {
      const server = await sharedServer(engine);
      if (!server) throw new Error(`no ${engine} server: ${missingBinaries(engine) ?? 'unavailable'}`);
      return server;
    },
    start: (options?: StartOptions) => startServer(engine, options),
  }));
}

/**
 * The shared server for `engine`, with a fresh app user for this process so concurrent test
 * files never count each other's connections. Its `stop`, `kill` and `restart` throw: it is
 * not this file's to end. `undefined` (after a loud warning) if the engine cannot run here.
 */
export function sharedServer(engine: Engine): Promise<TestServer | undefined> {
  let server = shared.get(engine);
  if (server === undefined) {
    server = openShared(engine);
    shared.set(engine, server);
    server.catch(() => shared.delete(engine));
  }
  return server;
}

/** Why `engine` is skipped here, or `false`. Warns loudly (once) when it is. */
export function skipReason(engine: Engine): string | false {
  if (process.env[SHARED_URL_ENV[engine]]) return false;
  const missing = missingBinaries(engine);
  if (missing === undefined || requireDb()) return false;
  warnSkipping(engine, missing);
  return missing;
}

async function openShared(engine: Engine): Promise<TestServer | undefined> {
  const adminUrl = process.env[SHARED_URL_ENV[engine]];
  if (adminUrl) return attach(engine, adminUrl);
  const missing = missingBinaries(engine);
  if (missing !== undefined) {
    if (requireDb()) throw new Error(`LEAKPROOF_REQUIRE_DB=1 but ${missing}`);
    warnSkipping(engine, missing);
    return undefined;
  }
  const server = await startServer(engine, { maxConnections: SHARED_MAX_CONNECTIONS });
  // Stopped when this process is done (or, failing that, by the exit hook).
  onLoopDrained(() => server.stop());
  return notOwned(server, { user: server.user, password: server.password, url: server.url });
}

/** A server started by someone else (the runner, or any server an admin URL points at). */
async function attach(engine: Engine, adminUrl: string): Promise<TestServer> {
  const { host } = urlParts(adminUrl, 0);
  const base = { engine, host, port: await appPort(engine, adminUrl), adminUrl, database: TEST_DATABASE };
  await prepareTestDatabase(base);
  return notOwned(base, await createAppUser(base));
}

/**
 * The port app users connect to. The harness's MariaDB admin URLs use `extra_port`, which
 * app connections must not use (it does not count against `max_connections`).
 */
async function appPort(engine: Engine, adminUrl: string): Promise<number> {
  const { port } = urlParts(adminUrl, engine === 'mariadb' ? 3306 : 5432);
  if (engine === 'postgres') return port;
  const [row] = await adminQuery({ engine, adminUrl }, 'SELECT @@port AS port, @@extra_port AS extraPort');
  return Number(row?.['extraPort']) === port ? Number(row?.['port']) : port;
}

function notOwned(server: ServerLocation, appUser: AppUser): TestServer {
  const refuse = async (): Promise<never> => {
    throw new Error(
      `not owned: the shared ${server.engine} server outlives this test file; use target.start() for a server you can stop, kill or restart`,
    );
  };
  const { engine, host, port, adminUrl, database } = server;
  return { engine, host, port, adminUrl, database, ...appUser, stop: refuse, kill: refuse, restart: refuse };
}

function requireDb(): boolean {
  return process.env['LEAKPROOF_REQUIRE_DB'] === '1';
}

function warnSkipping(engine: Engine, reason: string): void {
  if (warned.has(engine)) return;
  warned.add(engine);
  const bar = '*'.repeat(78);
  process.stderr.write(
    `\n${bar}\n* WARNING: SKIPPING ${engine} TESTS: ${reason}\n* Set LEAKPROOF_REQUIRE_DB=1 to make this an error.\n${bar}\n\n`,
  );
}
