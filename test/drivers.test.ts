/**
 * The four drivers against real servers, through the `Driver` interface only.
 *
 * MySQL-family tests run as a throwaway user and PostgreSQL tests as a throwaway role, so the
 * connections the drivers open (cancel side connections included) can be counted in
 * `information_schema.PROCESSLIST` / `pg_stat_activity` and must all be gone at the end.
 * Server URLs: LEAKPROOF_MARIADB_URL and LEAKPROOF_POSTGRES_URL (admin URLs), else the shared
 * development servers.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ConnectionSettings, Driver, DriverConnection, Engine } from '../src/drivers/driver.js';
import { createMariadbDriver } from '../src/drivers/mysql/mariadb-driver.js';
import { createMysql2Driver } from '../src/drivers/mysql/mysql2-driver.js';
import { createPgDriver } from '../src/drivers/postgres/pg-driver.js';
import { createBetterSqlite3Driver } from '../src/drivers/sqlite/better-sqlite3-driver.js';
import { eventually } from './support/serve.js';

const MARIADB_URL = process.env['LEAKPROOF_MARIADB_URL'] ?? 'mysql://root@127.0.0.1:3306/test';
const POSTGRES_URL = process.env['LEAKPROOF_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Unique per process, so that two runs against one shared server do not collide. */
const TAG = `lp_drv_${process.pid}`;
const PASSWORD = 'lp-drv-Secret-7f3a';

// ---------------------------------------------------------------- settings and small helpers

function settingsFromUrl(url: string, engine: Engine, overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  const parsed = new URL(url);
  return hidePassword({
    engine,
    host: parsed.hostname,
    port: parsed.port === '' ? undefined : Number(parsed.port),
    user: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || undefined,
    filename: undefined,
    params: {},
    statementTimeout: 0,
    statementCache: 0,
    driverOptions: {},
    connectTimeout: 5000,
    keepAliveDelay: 15_000,
    ...overrides,
  });
}

/**
 * The config module makes `password` non-enumerable so that it never reaches a log; do the same
 * here, so that a driver that copies settings with a spread (and loses it) fails these tests.
 */
function hidePassword(settings: ConnectionSettings): ConnectionSettings {
  return Object.defineProperty({ ...settings }, 'password', { value: settings.password, enumerable: false });
}

/** Polls `check` until it is true; every wait has its own deadline. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 5000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return assert.fail('expected a rejection');
}

/** `driver.cancel` as the pool calls it: MySQL's KILL QUERY runs on a second connection. */
async function cancelOn(driver: Driver, target: DriverConnection): Promise<void> {
  if (driver.cancelBy !== 'session') return driver.cancel(target);
  const via = await driver.connect();
  try {
    await driver.cancel(target, via);
  } finally {
    await via.close();
  }
}

async function withConnection<T>(driver: Driver, work: (connection: DriverConnection) => Promise<T>): Promise<T> {
  const connection = await driver.connect();
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

/** A server that answers every connection with a fixed payload and hangs up. */
async function fakeServer(answer: (socket: import('node:net').Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** The packet MySQL and MariaDB send instead of the greeting once `max_connections` is reached. */
function mysqlGreetingError(errno: number, message: string): Buffer {
  const payload = Buffer.concat([Buffer.from([0xff, errno & 0xff, errno >> 8]), Buffer.from(message)]);
  return Buffer.concat([Buffer.from([payload.length, 0, 0, 0]), payload]);
}

/** A PostgreSQL ErrorResponse, as the postmaster sends to the startup packet when it is full. */
function postgresErrorResponse(fields: Record<string, string>): Buffer {
  const body = Buffer.concat([...Object.entries(fields).map(([key, value]) => Buffer.from(`${key}${value}\0`)), Buffer.from([0])]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from('E'), length, body]);
}

// ---------------------------------------------------------------- servers: admin side

interface AdminSide {
  readonly driver: Driver;
  readonly connection: DriverConnection;
}

async function openAdmin(driver: Driver): Promise<AdminSide> {
  return { driver, connection: await driver.connect() };
}

const mysqlAdminSettings = settingsFromUrl(MARIADB_URL, 'mysql');
const postgresAdminSettings = settingsFromUrl(POSTGRES_URL, 'postgres');
let mysqlAdmin: AdminSide | undefined;
let postgresAdmin: AdminSide | undefined;
let sqliteDir = '';

async function setUpMysql(): Promise<void> {
  mysqlAdmin = await openAdmin(await createMariadbDriver(mysqlAdminSettings));
  const run = (sql: string) => mysqlAdmin!.connection.execute(sql);
  await run(`CREATE DATABASE IF NOT EXISTS ${TAG}`);
  for (const [user, limit] of [
    [TAG, 0],
    [`${TAG}_one`, 1],
  ] as const) {
    await run(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${PASSWORD}' WITH MAX_USER_CONNECTIONS ${limit}`);
    await run(`GRANT ALL ON ${TAG}.* TO '${user}'@'%'`);
  }
}

async function setUpPostgres(): Promise<void> {
  postgresAdmin = await openAdmin(await createPgDriver(postgresAdminSettings));
  for (const [role, limit] of [
    [TAG, -1],
    [`${TAG}_one`, 1],
  ] as const) {
    await postgresAdmin.connection.execute(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}' CONNECTION LIMIT ${limit}`);
  }
}

async function countMysqlSessions(user: string): Promise<number> {
  const rows = await mysqlAdmin!.connection.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
  return Number(rows[0]?.['n']);
}

async function countPostgresSessions(role: string): Promise<number> {
  const rows = await postgresAdmin!.connection.query('SELECT COUNT(*) AS n FROM pg_stat_activity WHERE usename = $1', [role]);
  return Number(rows[0]?.['n']);
}

before(async () => {
  await setUpMysql();
  await setUpPostgres();
  sqliteDir = await mkdtemp(join(tmpdir(), 'leakproof-drivers-'));
});

after(async () => {
  if (mysqlAdmin !== undefined) {
    for (const user of [TAG, `${TAG}_one`]) await mysqlAdmin.connection.execute(`DROP USER IF EXISTS '${user}'@'%'`);
    await mysqlAdmin.connection.execute(`DROP DATABASE IF EXISTS ${TAG}`);
    await mysqlAdmin.connection.close();
  }
  if (postgresAdmin !== undefined) {
    for (const role of [TAG, `${TAG}_one`]) await postgresAdmin.connection.execute(`DROP ROLE IF EXISTS ${role}`);
    await postgresAdmin.connection.close();
  }
  if (sqliteDir !== '') await rm(sqliteDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- one description per driver

interface DriverCase {
  readonly name: 'mysql2' | 'mariadb' | 'pg' | 'better-sqlite3';
  readonly engine: Engine;
  readonly create: (settings: ConnectionSettings) => Promise<Driver>;
  /** Settings for the throwaway user (or a fresh SQLite file). */
  readonly settings: (overrides?: Partial<ConnectionSettings>) => ConnectionSettings;
  readonly placeholder: (index: number) => string;
  readonly createTable: string;
  /** SQL that runs for `seconds`; undefined for SQLite (no server to sleep in). */
  readonly sleep?: (seconds: number) => string;
  /** Ends a session from the server side. */
  readonly kill?: (serverId: number) => Promise<void>;
  readonly countSessions?: () => Promise<number>;
  /** Sets the server's idle timeout for this session, and the ms it should read back as. */
  readonly idleTimeoutSql?: readonly [sql: string, expectedMs: number];
  /** The session limit the server gives the test user, read by the admin connection. */
  readonly expectedSessionLimit?: () => Promise<number>;
}

const mysqlCase = (name: 'mysql2' | 'mariadb', create: DriverCase['create']): DriverCase => ({
  name,
  engine: 'mysql',
  create,
  settings: (overrides = {}) => hidePassword({ ...mysqlAdminSettings, user: TAG, password: PASSWORD, database: TAG, ...overrides }),
  placeholder: () => '?',
  createTable: 'CREATE TEMPORARY TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)',
  sleep: (seconds) => `SELECT SLEEP(${seconds}) AS slept`,
  kill: async (serverId) => void (await mysqlAdmin!.connection.execute(`KILL ${serverId}`)),
  countSessions: () => countMysqlSessions(TAG),
  idleTimeoutSql: ['SET SESSION wait_timeout = 123', 123_000],
  expectedSessionLimit: async () => Number((await mysqlAdmin!.connection.query('SELECT @@max_connections AS n'))[0]!['n']),
});

const CASES: readonly DriverCase[] = [
  mysqlCase('mysql2', createMysql2Driver),
  mysqlCase('mariadb', createMariadbDriver),
  {
    name: 'pg',
    engine: 'postgres',
    create: createPgDriver,
    settings: (overrides = {}) => hidePassword({ ...postgresAdminSettings, user: TAG, password: PASSWORD, ...overrides }),
    placeholder: (index) => `$${index}`,
    createTable: 'CREATE TEMPORARY TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL)',
    sleep: (seconds) => `SELECT pg_sleep(${seconds}) AS slept`,
    kill: async (serverId) => void (await postgresAdmin!.connection.query('SELECT pg_terminate_backend($1)', [serverId])),
    countSessions: () => countPostgresSessions(TAG),
    idleTimeoutSql: ["SET idle_session_timeout = '90s'", 90_000],
    expectedSessionLimit: async () =>
      Number(
        (
          await postgresAdmin!.connection.query(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int AS n",
          )
        )[0]!['n'],
      ),
  },
  {
    name: 'better-sqlite3',
    engine: 'sqlite',
    create: createBetterSqlite3Driver,
    settings: (overrides = {}) => ({
      ...settingsFromUrl('sqlite://localhost/', 'sqlite'),
      host: '',
      filename: join(sqliteDir, 'drivers.sqlite3'),
      ...overrides,
    }),
    placeholder: () => '?',
    createTable: 'CREATE TEMP TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
  },
];

for (const c of CASES) {
  describe(`driver ${c.name}`, () => {
    let driver: Driver;
    before(async () => {
      driver = await c.create(c.settings());
    });

    it('names its engine and package', () => {
      assert.equal(driver.engine, c.engine);
      assert.equal(driver.packageName, c.name);
    });

    it('runs statements with native placeholders: plain rows from query, counts and ids from execute', async () => {
      await withConnection(driver, async (connection) => {
        assert.deepEqual(await connection.query(c.createTable), []);
        const insert = `INSERT INTO items (name) VALUES (${c.placeholder(1)})`;
        const first = await connection.execute(insert, ['alpha']);
        const second = await connection.execute(insert, ["o'brien ? $1"]);
        assert.equal(first.rowsAffected, 1);
        if (c.engine === 'postgres') assert.equal(first.insertId, undefined);
        else assert.deepEqual([first.insertId, second.insertId], [1, 2]);
        const rows = await connection.query(`SELECT id, name FROM items WHERE name = ${c.placeholder(1)}`, ["o'brien ? $1"]);
        assert.deepEqual(
          rows.map((row) => ({ ...row, id: Number(row['id']) })),
          [{ id: 2, name: "o'brien ? $1" }],
        );
        assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype, 'rows are plain objects');
        const update = `UPDATE items SET name = ${c.placeholder(1)}`;
        const updated = await connection.execute(update, ['x']);
        // Again: both rows match, none changes. Only mysql2 reports the difference (rowsChanged).
        const again = await connection.execute(update, ['x']);
        const changed = (rows: number): { rowsChanged?: number } => (c.name === 'mysql2' ? { rowsChanged: rows } : {});
        assert.deepEqual(updated, { rowsAffected: 2, insertId: undefined, ...changed(2) });
        assert.deepEqual(again, { rowsAffected: 2, insertId: undefined, ...changed(0) });
      });
    });

    it('reads inTransaction from the protocol through begin, savepoints, commit and rollback', async () => {
      await withConnection(driver, async (connection) => {
        await connection.query(c.createTable);
        const steps: Array<[string, boolean]> = [
          [driver.sql.begin, true],
          ['SELECT 1 AS one', true],
          [driver.sql.savepoint('lp_1'), true],
          [`INSERT INTO items (name) VALUES ('a')`, true],
          [driver.sql.rollbackToSavepoint('lp_1'), true],
          [driver.sql.releaseSavepoint('lp_1'), true],
          [driver.sql.commit, false],
          ['SELECT 1 AS one', false],
          [driver.sql.begin, true],
          ['SELECT * FROM items', true],
          [driver.sql.rollback, false],
        ];
        for (const [sql, expected] of steps) {
          await connection.query(sql);
          assert.equal(connection.inTransaction(), expected, `after ${sql}`);
        }
      });
    });

    if (c.engine === 'postgres') {
      it("counts a failed transaction ('E') as in a transaction until ROLLBACK", async () => {
        await withConnection(driver, async (connection) => {
          await connection.query('BEGIN');
          const error = await rejection(connection.query('SELECT no_such_column'));
          assert.equal(driver.classifyError(error), 'statement');
          assert.equal(connection.inTransaction(), true);
          await rejection(connection.query('SELECT 1'));
          assert.equal(connection.inTransaction(), true);
          await connection.query('ROLLBACK');
          assert.equal(connection.inTransaction(), false);
        });
      });

      it('passes URL params as startup parameters, and driverOptions override them', async () => {
        const read = async (overrides: Partial<ConnectionSettings>) => {
          const custom = await c.create(c.settings(overrides));
          return withConnection(
            custom,
            async (connection) => (await connection.query("SELECT current_setting('application_name') AS name"))[0]?.['name'],
          );
        };
        assert.equal(await read({ params: { application_name: 'lp-params' } }), 'lp-params');
        assert.equal(
          await read({ params: { application_name: 'lp-params' }, driverOptions: { application_name: 'lp-options' } }),
          'lp-options',
        );
      });
    }

    if (c.engine === 'mysql') {
      it('sees a transaction opened implicitly by a SELECT with autocommit off (status of the final EOF/OK)', async () => {
        await withConnection(driver, async (connection) => {
          await connection.query(c.createTable);
          await connection.query('SET autocommit = 0');
          await connection.query('SELECT 1 AS one');
          assert.equal(connection.inTransaction(), false, 'a SELECT without tables opens nothing');
          await connection.query('SELECT * FROM items');
          assert.equal(connection.inTransaction(), true);
          await connection.query('COMMIT');
          assert.equal(connection.inTransaction(), false);
        });
      });

      it('never puts the password in a connect error', async () => {
        const wrong = await c.create(c.settings({ password: 'Wrong-Pa55word-xyz' }));
        const error = await rejection(wrong.connect());
        assert.equal(wrong.classifyError(error), 'connection');
        assert.doesNotMatch(String((error as Error).message), /Wrong-Pa55word-xyz|lp-drv-Secret/);
      });
    }

    if (c.engine === 'sqlite') {
      it("opens files in WAL mode, with SQLite's own (synchronous) busy wait off", async () => {
        // leakproof retries a busy statement asynchronously instead (test/sqlite-writers.test.ts).
        await withConnection(driver, async (connection) => {
          assert.deepEqual(await connection.query('PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
          assert.deepEqual(await connection.query('PRAGMA busy_timeout'), [{ timeout: 0 }]);
        });
      });

      it('gives every :memory: connection a distinct serverId and its own database', async () => {
        const memory = await c.create(c.settings({ filename: ':memory:' }));
        const [a, b] = [await memory.connect(), await memory.connect()];
        await a.query('CREATE TABLE only_in_a (x)');
        assert.notEqual(a.serverId, b.serverId);
        assert.equal(driver.classifyError(await rejection(b.query('SELECT * FROM only_in_a'))), 'statement');
        await Promise.all([a.close(), b.close()]);
        const error = await rejection(a.query('SELECT 1'));
        assert.equal(driver.classifyError(error), 'connection');
        await rejection(a.ping());
      });
    }

    it('pings', async () => {
      await withConnection(driver, (connection) => connection.ping());
    });

    it('reads the server idle timeout and the most sessions it allows this user', async () => {
      await withConnection(driver, async (connection) => {
        if (c.idleTimeoutSql === undefined)
          return assert.deepEqual(await driver.readServerLimits(connection), {
            idleTimeoutMs: 0,
            sessionLimit: 0,
            sessionLimitName: 'none',
          });
        await connection.query(c.idleTimeoutSql[0]);
        const limits = await driver.readServerLimits(connection);
        assert.equal(limits.idleTimeoutMs, c.idleTimeoutSql[1]);
        // The server's own figure, read back through the admin connection.
        assert.equal(limits.sessionLimit, await c.expectedSessionLimit!());
        assert.match(limits.sessionLimitName, /max_connections|max_user_connections|CONNECTION LIMIT/);
      });
    });

    it('does not report its own close as broken, and close/destroy never throw', async () => {
      const connection = await driver.connect();
      let calls = 0;
      connection.onBroken(() => calls++);
      await connection.close();
      connection.destroy();
      await connection.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(calls, 0);
      assert.equal(connection.isBroken(), false);
    });

    const { kill, sleep } = c;
    if (kill !== undefined) {
      it('notices a server-side kill at once, while idle, and classifies the next command as `connection`', async () => {
        const connection = await driver.connect();
        const seen: Error[] = [];
        connection.onBroken((error) => seen.push(error));
        await kill(connection.serverId);
        await waitFor('onBroken after a server-side kill', () => seen.length > 0);
        assert.equal(connection.isBroken(), true);
        assert.equal(driver.classifyError(await rejection(connection.query('SELECT 1'))), 'connection');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(seen.length, 1, 'the callback runs once');
        await connection.close();
      });

      it('notices a server-side kill during a statement; the statement fails as `connection`', async () => {
        const connection = await driver.connect();
        let broken = false;
        connection.onBroken(() => (broken = true));
        const running = rejection(connection.query(sleep!(5)));
        await new Promise((resolve) => setTimeout(resolve, 200));
        await kill(connection.serverId);
        assert.equal(driver.classifyError(await running), 'connection');
        await waitFor('onBroken', () => broken);
        connection.destroy();
      });
    }

    if (sleep !== undefined) {
      it('cancels a running statement (PostgreSQL: a CancelRequest; MySQL: KILL QUERY on another connection); the connection stays usable', async () => {
        await withConnection(driver, async (connection) => {
          const started = Date.now();
          const outcome = connection.query(sleep(5)).then(
            (rows) => ({ rows }),
            (error: unknown) => ({ error }),
          );
          await new Promise((resolve) => setTimeout(resolve, 200));
          await cancelOn(driver, connection);
          const result = await outcome;
          assert.ok(Date.now() - started < 4000, 'the statement ended early');
          // MySQL SLEEP() may return 1 when killed; MariaDB 10.11 fails it with 1317.
          if ('rows' in result) assert.equal(Number(result.rows[0]?.['slept']), 1);
          else assert.deepEqual([driver.classifyError(result.error), driver.wasCancelled(result.error)], ['statement', true]);
          assert.deepEqual(
            (await connection.query('SELECT 1 AS one')).map((row) => Number(row['one'])),
            [1],
          );
          assert.equal(connection.isBroken(), false);
        });
      });

      it('destroy() during a statement closes the socket and fails the statement as `connection` at once', async () => {
        const connection = await driver.connect();
        const running = rejection(connection.query(sleep(2)));
        await new Promise((resolve) => setTimeout(resolve, 200));
        const started = Date.now();
        connection.destroy();
        assert.equal(driver.classifyError(await running), 'connection');
        // mariadb first KILLs the session over a side connection (the connector's own behaviour).
        assert.ok(Date.now() - started < 1000, `settled after ${Date.now() - started} ms`);
      });

      it('cancel of an idle connection is harmless and never rejects', async () => {
        await withConnection(driver, async (connection) => {
          await cancelOn(driver, connection);
          await connection.ping();
          assert.deepEqual(
            (await connection.query('SELECT 1 AS one')).map((row) => Number(row['one'])),
            [1],
          );
        });
      });

      it('applies statementTimeout once per connection: a long statement is stopped, the session goes on', async () => {
        const limited = await c.create(c.settings({ statementTimeout: 300 }));
        await withConnection(limited, async (connection) => {
          const started = Date.now();
          const error = await rejection(connection.query(sleep(3)));
          assert.ok(Date.now() - started < 2500, 'stopped by the server');
          assert.deepEqual([limited.classifyError(error), limited.isStatementTimeout(error)], ['statement', true]);
          await connection.ping();
        });
      });
    } else {
      it('cancel resolves at once (nothing can run concurrently)', async () => {
        await withConnection(driver, (connection) => driver.cancel(connection));
      });
    }

    if (c.countSessions !== undefined) {
      it('leaves no session of its own behind (cancel side connections included)', async () => {
        // A socket destroyed mid-statement leaves its server session until the statement ends.
        await waitFor('every session to end', async () => (await c.countSessions!()) === 0);
        const probe = await driver.connect();
        assert.equal(await c.countSessions!(), 1, 'the count sees our sessions');
        await probe.close();
        await waitFor('the probe session to end', async () => (await c.countSessions!()) === 0);
      });

      // The pool frees a slot of the budget when close() resolves; the server must agree then.
      // The mariadb connector destroys its socket right after sending its quit, so it cannot wait.
      if (c.name !== 'mariadb') {
        it('close() resolves only once the server has let the session go', async () => {
          for (let i = 0; i < 10; i++) {
            const connection = await driver.connect();
            await connection.query('SELECT 1 AS one');
            await connection.close();
            assert.equal(await c.countSessions!(), 0, `round ${i}: the server still had the session after close() resolved`);
          }
        });
      }
    }
  });
}

// ---------------------------------------------------------------- refusals

describe('refused: the server is out of connections', () => {
  for (const create of [createMysql2Driver, createMariadbDriver]) {
    it(`${create.name}: MySQL error 1040 sent in place of the greeting is \`refused\``, async () => {
      const { port, server } = await fakeServer((socket) => socket.end(mysqlGreetingError(1040, 'Too many connections')));
      try {
        const driver = await create({ ...mysqlAdminSettings, port });
        const error = await rejection(driver.connect());
        assert.equal((error as { errno?: number }).errno, 1040);
        assert.equal(driver.classifyError(error), 'refused');
      } finally {
        server.close();
      }
    });

    it(`${create.name}: a user over MAX_USER_CONNECTIONS (1226) at connect is \`refused\``, async () => {
      const driver = await create({ ...mysqlAdminSettings, user: `${TAG}_one`, password: PASSWORD, database: TAG });
      const first = await driver.connect();
      try {
        const error = await rejection(driver.connect());
        assert.equal((error as { errno?: number }).errno, 1226);
        assert.equal(driver.classifyError(error), 'refused');
      } finally {
        await first.close();
        // close() resolves on the client side; the next driver's test needs the slot free on the server.
        assert.ok(await eventually(async () => (await countMysqlSessions(`${TAG}_one`)) === 0), 'the session outlived close()');
      }
    });
  }

  it('pg: a real 53300 from a role over its CONNECTION LIMIT is `refused`', async () => {
    const driver = await createPgDriver({ ...postgresAdminSettings, user: `${TAG}_one`, password: PASSWORD });
    const first = await driver.connect();
    try {
      const error = await rejection(driver.connect());
      assert.equal((error as { code?: string }).code, '53300');
      assert.equal(driver.classifyError(error), 'refused');
    } finally {
      await first.close();
    }
    await waitFor('the limited role to disconnect', async () => (await countPostgresSessions(`${TAG}_one`)) === 0);
  });

  it('pg: "sorry, too many clients already" from a full postmaster is `refused`', async () => {
    const answer = postgresErrorResponse({ S: 'FATAL', V: 'FATAL', C: '53300', M: 'sorry, too many clients already' });
    const { port, server } = await fakeServer((socket) => socket.once('data', () => socket.end(answer)));
    try {
      const driver = await createPgDriver({ ...postgresAdminSettings, port });
      assert.equal(driver.classifyError(await rejection(driver.connect())), 'refused');
    } finally {
      server.close();
    }
  });
});

// ---------------------------------------------------------------- connect timeout

describe('connectTimeout', () => {
  for (const create of [createMysql2Driver, createMariadbDriver, createPgDriver]) {
    it(`${create.name}: a server that accepts but never answers fails the connect after connectTimeout`, async () => {
      const sockets: import('node:net').Socket[] = [];
      // resume(): read (and drop) whatever arrives, so that the client's FIN is seen.
      const { port, server } = await fakeServer((socket) => void sockets.push(socket.resume()));
      try {
        const settings = create === createPgDriver ? postgresAdminSettings : mysqlAdminSettings;
        const driver = await create({ ...settings, port, connectTimeout: 300 });
        const started = Date.now();
        const error = await rejection(driver.connect());
        assert.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
        assert.equal(driver.classifyError(error), 'connection');
        await waitFor('the client to drop its socket', () => sockets.every((socket) => socket.closed || socket.readableEnded));
      } finally {
        for (const socket of sockets) socket.destroy();
        server.close();
      }
    });
  }
});

// ---------------------------------------------------------------- classification of recorded shapes

describe('classifyError on recorded error shapes', () => {
  const mysqlShapes: Array<[string, object, string]> = [
    ['mysql2 1040', { errno: 1040, code: 'ER_CON_COUNT_ERROR', sqlState: '08004' }, 'refused'],
    ['mariadb 1040', { errno: 1040, code: 'ER_CON_COUNT_ERROR', fatal: true, sqlState: 'HY000' }, 'refused'],
    ['mysql2 socket lost', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, 'connection'],
    ['mysql2 closed state', { fatal: true, message: "Can't add new command when connection is in closed state" }, 'connection'],
    ['mariadb socket closed', { errno: 45009, code: 'ER_SOCKET_UNEXPECTED_CLOSE', fatal: true, sqlState: '08S01' }, 'connection'],
    ['connection killed', { errno: 1927, code: 'ER_CONNECTION_KILLED', sqlState: '70100' }, 'connection'],
    ['server gone', { errno: 2006 }, 'connection'],
    ['server lost', { errno: 2013 }, 'connection'],
    ['access denied', { errno: 1045, sqlState: '28000' }, 'connection'],
    ['ECONNREFUSED', { code: 'ECONNREFUSED', errno: -111 }, 'connection'],
    ['EPIPE', { code: 'EPIPE' }, 'connection'],
    ['query interrupted (mariadb flags it fatal)', { errno: 1317, fatal: true, sqlState: '70100' }, 'statement'],
    ['statement timeout', { errno: 1969, fatal: true, sqlState: '70100' }, 'statement'],
    ['duplicate key', { errno: 1062, code: 'ER_DUP_ENTRY', sqlState: '23000' }, 'statement'],
    ['1226 after connect (max_questions)', { errno: 1226 }, 'statement'],
  ];
  const postgresShapes: Array<[string, object, string]> = [
    ['too many connections', { code: '53300' }, 'refused'],
    ['terminated by admin', { code: '57P01' }, 'connection'],
    ['terminated by admin (FATAL)', { code: '57P01', severity: 'FATAL' }, 'connection'],
    ['protocol violation as an ERROR: the session goes on (wrong parameter count)', { code: '08P01', severity: 'ERROR' }, 'statement'],
    ['protocol violation as a FATAL', { code: '08P01', severity: 'FATAL' }, 'connection'],
    ['crash shutdown', { code: '57P02' }, 'connection'],
    ['cannot connect now', { code: '57P03' }, 'connection'],
    ['connection failure', { code: '08006' }, 'connection'],
    ['pg unexpected end', new Error('Connection terminated unexpectedly'), 'connection'],
    ['pg not queryable', new Error('Client has encountered a connection error and is not queryable'), 'connection'],
    ['ECONNRESET', { code: 'ECONNRESET' }, 'connection'],
    ['query canceled', { code: '57014' }, 'statement'],
    ['syntax error', { code: '42601' }, 'statement'],
    ['unique violation', { code: '23505' }, 'statement'],
  ];
  const sqliteShapes: Array<[string, object, string]> = [
    ['busy', { code: 'SQLITE_BUSY' }, 'statement'],
    ['constraint', { code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'statement'],
    ['corrupt', { code: 'SQLITE_CORRUPT' }, 'connection'],
    ['io error', { code: 'SQLITE_IOERR_SHORT_READ' }, 'connection'],
    ['closed handle', new TypeError('The database connection is not open'), 'connection'],
  ];
  const table: Array<[DriverCase['create'], Array<[string, object, string]>]> = [
    [createMysql2Driver, mysqlShapes],
    [createMariadbDriver, mysqlShapes],
    [createPgDriver, postgresShapes],
    [createBetterSqlite3Driver, sqliteShapes],
  ];
  for (const [create, shapes] of table) {
    it(`${create.name}`, async () => {
      const driver = await create(settingsFromUrl('mysql://localhost/', 'mysql'));
      for (const [what, shape, expected] of shapes) assert.equal(driver.classifyError(shape), expected, what);
    });
  }
});

// ---------------------------------------------------------------- missing packages

describe('a missing driver package', () => {
  it('fails with DRIVER_MISSING and the npm install command, for each driver', async () => {
    // A copy of the drivers where no node_modules can be found: the real resolution failure.
    // The drivers and the ground floor they stand on are all it takes: nothing above them.
    const root = await mkdtemp(join(tmpdir(), 'leakproof-missing-'));
    try {
      const src = fileURLToPath(new URL('../src/', import.meta.url));
      for (const floor of ['drivers', 'errors', 'secrets']) await cp(join(src, floor), join(root, 'src', floor), { recursive: true });
      await writeFile(join(root, 'package.json'), '{"type":"module"}');
      await writeFile(join(root, 'probe.ts'), MISSING_PACKAGE_PROBE);
      const child = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'probe.ts')], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(child.status, 0, child.stderr);
      const outcomes = JSON.parse(child.stdout) as Record<string, { code: string; message: string }>;
      for (const name of ['mysql2', 'mariadb', 'pg', 'better-sqlite3']) {
        assert.equal(outcomes[name]?.code, 'DRIVER_MISSING', name);
        assert.match(outcomes[name]?.message ?? '', new RegExp(`npm install ${name}`));
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

const MISSING_PACKAGE_PROBE = `
const drivers = [
  ['mysql2', './src/drivers/mysql/mysql2-driver.ts', 'createMysql2Driver'],
  ['mariadb', './src/drivers/mysql/mariadb-driver.ts', 'createMariadbDriver'],
  ['pg', './src/drivers/postgres/pg-driver.ts', 'createPgDriver'],
  ['better-sqlite3', './src/drivers/sqlite/better-sqlite3-driver.ts', 'createBetterSqlite3Driver'],
];
const outcomes = {};
for (const [name, file, factory] of drivers) {
  try {
    await (await import(file))[factory]({ params: {}, driverOptions: {} });
    outcomes[name] = { code: 'LOADED', message: '' };
  } catch (error) {
    outcomes[name] = { code: error.code, message: error.message };
  }
}
console.log(JSON.stringify(outcomes));
`;
