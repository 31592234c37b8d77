/**
 * The loop every database test runs in: one `describe` per engine, each test reaching its
 * engine through `engine()`: the URL of this process's own app user on the shared server, the
 * server's own connection count for that user, and the dialect bits that differ.
 *
 * @example
 * forEachEngine('end paths', ['mariadb', 'postgres'], (engine) => {
 *   it('releases', async () => {
 *     const dbs = createDatabases({ default: engine().url });
 *     ...
 *     assert.equal(await engine().waitForCount(0), 0);
 *   });
 * });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe } from 'node:test';
import { createDatabases, type AliasOptions, type Databases, type DatabasesConfig } from '../../src/index.js';
import { countConnections, listConnections, waitForCount, type ServerConnection } from '../harness/count-connections.js';
import { killConnection } from '../harness/faults.js';
import { engineTargets } from '../harness/shared-server.js';
import type { TestServer } from '../harness/test-server.js';
import { closeTracked, trackForCleanup } from './cleanup.js';
import { DIALECTS, type Dialect, type EngineName } from './dialect.js';
import { describeBehindPgbouncer, pgbouncerParts } from './pgbouncer-engine.js';
import type { Pgbouncer } from '../harness/pgbouncer.js';

export interface EngineContext {
  readonly name: EngineName;
  readonly dialect: Dialect;
  /** The app URL (password included) on the shared server, or a fresh SQLite file. */
  readonly url: string;
  /** Options every alias on `url` needs (`pooler` behind PgBouncer); spread them into the alias. */
  readonly aliasOptions: Partial<AliasOptions>;
  /** `createDatabases`, closed after the test whatever its outcome. */
  databases(config: DatabasesConfig): Databases;
  /** The server's own count of this process's app connections (0 for SQLite). */
  count(): Promise<number>;
  /** Polls the server until the count is `expected` or `timeoutMs` passes; returns the last count. */
  waitForCount(expected: number, timeoutMs?: number): Promise<number>;
  /** This process's app sessions as the server lists them. */
  connections(): Promise<ServerConnection[]>;
  /** Polls until at least `count` (default 1) of this app's sessions run a statement matching `pattern`; false after `timeoutMs` (default 5000). */
  statementRunning(pattern: RegExp, count?: number, timeoutMs?: number): Promise<boolean>;
  /** Ends a session from the server side. */
  kill(serverId: number): Promise<void>;
  /** A dedicated server for limits, kills and restarts; the caller stops it. */
  startDedicated(options: { maxConnections?: number; idleTimeoutSeconds?: number }): Promise<TestServer>;
  countOn(server: TestServer): Promise<number>;
  waitForCountOn(server: TestServer, expected: number, timeoutMs?: number): Promise<number>;
}

/** An engine to run tests on: a server engine, SQLite, or PostgreSQL behind PgBouncer in transaction mode. */
export type EngineTarget = EngineName | 'postgres-pgbouncer';

/** One `describe` per engine; `body` gets the engine's context (once its server runs) and its name. */
export function forEachEngine(
  title: string,
  engines: readonly EngineTarget[],
  body: (engine: () => EngineContext, target: EngineTarget) => void,
): void {
  for (const name of engines) {
    const bodyOf = (engine: () => EngineContext): void => body(engine, name);
    if (name === 'sqlite') describeSqlite(title, bodyOf);
    else if (name === 'postgres-pgbouncer') describeBehindPgbouncer(title, bodyOf, pgbouncerContext);
    else describeServer(title, name, bodyOf);
  }
}

function pgbouncerContext(server: TestServer, bouncer: Pgbouncer): EngineContext {
  const parts = pgbouncerParts(server, bouncer);
  return {
    ...parts,
    databases: tracked,
    waitForCount: (expected, timeoutMs = 5000) => pollCount(parts.count, expected, timeoutMs),
    statementRunning: (pattern, count = 1, timeoutMs = 5000) =>
      pollUntil(async () => (await listConnections(server)).filter((c) => pattern.test(c.query ?? '')).length >= count, timeoutMs),
    startDedicated: () => Promise.reject(new Error('behind PgBouncer, start a dedicated server of the postgres engine instead')),
    countOn: (other) => countConnections(other),
    waitForCountOn: (other, expected, timeoutMs = 5000) => waitForCount(other, expected, { timeoutMs }),
  };
}

function describeServer(title: string, name: 'mariadb' | 'postgres', body: (engine: () => EngineContext) => void): void {
  const [target] = engineTargets([name]);
  describe(`${title} [${name}]`, { skip: target!.skip }, () => {
    let context: EngineContext | undefined;
    before(async () => {
      const server = await target!.server();
      context = serverContext(name, server, (options) =>
        target!.start({
          maxConnections: options.maxConnections,
          idleTimeoutMs: options.idleTimeoutSeconds === undefined ? undefined : options.idleTimeoutSeconds * 1000,
        }),
      );
    });
    afterEach(closeTracked);
    body(() => context ?? fail(name));
  });
}

function serverContext(name: 'mariadb' | 'postgres', server: TestServer, start: EngineContext['startDedicated']): EngineContext {
  return {
    name,
    dialect: DIALECTS[name],
    url: server.url,
    aliasOptions: {},
    databases: tracked,
    count: () => countConnections(server),
    waitForCount: (expected, timeoutMs = 5000) => waitForCount(server, expected, { timeoutMs }),
    connections: () => listConnections(server),
    statementRunning: (pattern, count = 1, timeoutMs = 5000) =>
      pollUntil(async () => (await listConnections(server)).filter((c) => pattern.test(c.query ?? '')).length >= count, timeoutMs),
    kill: async (serverId) => void (await killConnection(server, serverId)),
    startDedicated: start,
    countOn: (other) => countConnections(other),
    waitForCountOn: (other, expected, timeoutMs = 5000) => waitForCount(other, expected, { timeoutMs }),
  };
}

function describeSqlite(title: string, body: (engine: () => EngineContext) => void): void {
  describe(`${title} [sqlite]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-sqlite-'));
    const context: EngineContext = {
      name: 'sqlite',
      dialect: DIALECTS.sqlite,
      url: `sqlite:${join(dir, 'test.sqlite3')}`,
      aliasOptions: {},
      databases: tracked,
      count: async () => 0,
      waitForCount: async () => 0,
      connections: async () => [],
      statementRunning: async () => true,
      kill: () => Promise.reject(new Error('SQLite has no server to kill sessions on')),
      startDedicated: () => Promise.reject(new Error('SQLite has no server')),
      countOn: async () => 0,
      waitForCountOn: async () => 0,
    };
    afterEach(closeTracked);
    body(() => context);
    // After hooks run in the order they were added: the body's own (dropping its tables) first.
    after(() => rmSync(dir, { recursive: true, force: true }));
  });
}

function tracked(config: DatabasesConfig): Databases {
  const dbs = createDatabases(config);
  trackForCleanup(() => dbs.close());
  return dbs;
}

/** Polls `count` until it is `expected` or `timeoutMs` passes; returns the last count. */
async function pollCount(count: () => Promise<number>, expected: number, timeoutMs: number): Promise<number> {
  let last = await count();
  const deadline = Date.now() + timeoutMs;
  while (last !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    last = await count();
  }
  return last;
}

async function pollUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function fail(name: string): never {
  throw new Error(`the ${name} server was not set up (see the before hook's error)`);
}
