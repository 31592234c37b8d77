import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { ConfigError, createDatabases, LeakproofError } from '../src/index.js';

const SECRET = 'hunter2-Very-Secret';

function configError(fn: () => unknown): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  return caught;
}

describe('createDatabases configuration', () => {
  it('accepts a bare URL per alias and applies defaults', () => {
    const dbs = createDatabases({ default: 'sqlite:./x.sqlite3', replica: `mysql://app:${SECRET}@127.0.0.1:3306/app` });
    const options = dbs.options();
    assert.equal(options.engine, 'sqlite');
    assert.equal(options.maxConnections, 10);
    assert.equal(options.acquireTimeout, 10_000);
    assert.equal(options.maxLifetime, 1_800_000);
    assert.equal(options.healthCheckAfter, 500);
    assert.equal(dbs.options('replica').client, 'mysql2');
    assert.deepEqual(dbs.aliases, ['default', 'replica']);
  });

  it('reports every problem at once in one CONFIG_INVALID error', () => {
    const error = configError(() =>
      createDatabases({
        default: {
          url: 'sqlite:./x.sqlite3',
          maxConnections: 0,
          acquireTimeout: -5,
          maxWaiting: 1.5,
          idleTimeout: 'soon' as unknown as number,
          cancelOnAbort: 'yes' as unknown as boolean,
          maxConection: 3,
        } as never,
        other: { url: 'oracle://x' },
        third: 42 as never,
        fourth: { url: 'postgres://h/db', idleTimeout: 10_000, maxLifetime: 5000, client: 'mariadb' },
      }),
    );
    assert.equal(error.code, 'CONFIG_INVALID');
    const text = error.problems.join('\n');
    for (const expected of [
      /default: "maxConnections" must be between 1 and 10000, got 0/,
      /default: "acquireTimeout" must be between 1 and \d+, got -5/,
      /default: "maxWaiting" must be a whole number/,
      /default: "idleTimeout" must be a whole number of milliseconds/,
      /default: "cancelOnAbort" must be true or false/,
      /default: unknown option "maxConection" \(did you mean "maxConnections"\?\)/,
      /other: unsupported URL scheme "oracle:"/,
      /third: expected a URL string or an options object, got number 42/,
      /fourth: "idleTimeout" \(10000\) must not exceed "maxLifetime" \(5000\)/,
      /fourth: "client" applies to MySQL\/MariaDB URLs only/,
    ])
      assert.match(text, expected);
    assert.equal(error.problems.length, 10, text);
    assert.match(error.message, /invalid leakproof configuration/);
  });

  it('requires a default alias and an object of aliases', () => {
    assert.match(configError(() => createDatabases({ main: 'sqlite::memory:' })).message, /no "default" alias/);
    assert.match(configError(() => createDatabases(null as never)).message, /expects an object of aliases, got null/);
  });

  it('rejects an in-memory SQLite database shared by several connections', () => {
    const error = configError(() => createDatabases({ default: 'sqlite::memory:' }));
    assert.match(error.message, /separate empty database per connection/);
    createDatabases({ default: { url: 'sqlite::memory:', maxConnections: 1 } });
  });

  it('refuses statementTimeout on SQLite, which cannot interrupt a statement, rather than ignore it', () => {
    const error = configError(() => createDatabases({ default: { url: 'sqlite:./x.sqlite3', statementTimeout: 1000 } }));
    assert.match(error.message, /"statementTimeout" cannot be honoured on SQLite/);
    assert.equal(createDatabases({ default: { url: 'sqlite:./x.sqlite3', statementTimeout: 0 } }).options().statementTimeout, 0);
  });

  it('reads pooler: "none" by default, "transaction" on PostgreSQL only, where the statement timeout is no longer a startup parameter', () => {
    assert.equal(createDatabases({ default: 'postgres://u@h/db' }).options().pooler, 'none');
    const behind = createDatabases({ default: { url: 'postgres://u@h/db', pooler: 'transaction', statementTimeout: 500 } }).options();
    assert.equal(behind.pooler, 'transaction');
    assert.equal(behind.statementTimeout, 500);
    assert.equal(behind.settings.statementTimeout, 0);
    assert.match(
      configError(() => createDatabases({ default: { url: 'mysql://u@h/db', pooler: 'transaction' } })).message,
      /"pooler" applies to PostgreSQL URLs only/,
    );
    assert.match(
      configError(() => createDatabases({ default: { url: 'postgres://u@h/db', pooler: 'session' as never } })).message,
      /"pooler" must be "none" or "transaction", got "session"/,
    );
  });

  it('reads statementCache: 100 on PostgreSQL, 0 behind a transaction pooler or with maxLifetime 0 unless set, on SQLite as set, opt-in on mysql2, refused on the mariadb client', () => {
    const cacheOf = (options: Record<string, unknown>): number =>
      createDatabases({ default: { url: 'postgres://u@h/db', ...options } }).options().settings.statementCache;
    assert.deepEqual(
      [
        cacheOf({}),
        cacheOf({ statementCache: 0 }),
        cacheOf({ pooler: 'transaction' }),
        cacheOf({ pooler: 'transaction', statementCache: 50 }),
        cacheOf({ maxLifetime: 0 }),
        cacheOf({ maxLifetime: 0, statementCache: 50 }),
      ],
      [100, 0, 0, 50, 0, 50],
    );
    assert.equal(createDatabases({ default: 'mysql://u@h/db' }).options().settings.statementCache, 0);
    assert.equal(
      createDatabases({ default: { url: 'sqlite::memory:', maxConnections: 1, statementCache: 5 } }).options().settings.statementCache,
      5,
    );
    assert.equal(createDatabases({ default: { url: 'mysql://u@h/db', statementCache: 10 } }).options().settings.statementCache, 10);
    assert.match(
      configError(() => createDatabases({ default: { url: 'mysql://u@h/db', client: 'mariadb', statementCache: 10 } })).message,
      /"statementCache" on MySQL\/MariaDB needs client "mysql2"/,
    );
    assert.match(
      configError(() => createDatabases({ default: { url: 'postgres://u@h/db', statementCache: -1 } })).message,
      /"statementCache" must be between 0 and 10000, got -1/,
    );
    assert.match(
      configError(() => createDatabases({ default: { url: 'postgres://u@h/db', statementCache: 1.5 } })).message,
      /"statementCache" must be a whole number of statements/,
    );
  });

  it('reads releaseTimeout and keepAliveDelay, with their defaults and ranges', () => {
    const options = createDatabases({ default: 'postgres://app@127.0.0.1/app' }).options();
    assert.deepEqual([options.releaseTimeout, options.keepAliveDelay], [10_000, 15_000]);
    const error = configError(() =>
      createDatabases({ default: { url: 'postgres://app@127.0.0.1/app', releaseTimeout: 0, keepAliveDelay: -1 } }),
    );
    assert.match(error.message, /"releaseTimeout" must be between 1 and/);
    assert.match(error.message, /"keepAliveDelay" must be between 0 and/);
  });

  it('never shows the password: not in errors, options, stats, inspect or JSON', () => {
    const url = `postgres://app:${SECRET}@127.0.0.1:5432/app`;
    const error = configError(() => createDatabases({ default: { url, maxConnections: -1 } }));
    assert.ok(!error.message.includes(SECRET));
    assert.ok(!inspect(error, { depth: 10 }).includes(SECRET));

    const dbs = createDatabases({ default: url });
    const options = dbs.options();
    assert.equal(options.url, 'postgres://app:***@127.0.0.1:5432/app');
    for (const view of [
      JSON.stringify(options),
      inspect(options, { depth: 10 }),
      JSON.stringify(dbs.stats()),
      inspect(dbs, { depth: 10 }),
    ]) {
      assert.ok(!view.includes(SECRET), view);
    }
    // The driver can still read it.
    assert.equal(options.settings.password, SECRET);
  });

  it('never echoes a malformed URL, which may hold a password', () => {
    const error = configError(() => createDatabases({ default: `mysql://app:${SECRET}@[::1` }));
    assert.ok(!error.message.includes(SECRET), error.message);
  });

  it('freezes the databases object and its options', () => {
    const dbs = createDatabases({ default: 'sqlite:./x.sqlite3' });
    assert.ok(Object.isFrozen(dbs));
    assert.ok(Object.isFrozen(dbs.options()));
    assert.ok(Object.isFrozen(dbs.options().settings));
  });

  it('fails dbs.get() for an unknown alias with UNKNOWN_ALIAS', () => {
    const dbs = createDatabases({ default: 'sqlite:./x.sqlite3' });
    assert.throws(
      () => dbs.get('nope'),
      (error: unknown) => error instanceof LeakproofError && error.code === 'UNKNOWN_ALIAS',
    );
  });

  it('parses each URL scheme', () => {
    const dbs = createDatabases({
      default: 'sqlite:///tmp/abs.sqlite3',
      rel: 'sqlite:./rel.sqlite3',
      my: 'mariadb://u@db.example:3307/shop?ssl=true',
      pg: 'postgresql://u@[::1]/shop',
    });
    assert.equal(dbs.options().settings.filename, '/tmp/abs.sqlite3');
    assert.equal(dbs.options('rel').settings.filename, './rel.sqlite3');
    const my = dbs.options('my').settings;
    assert.deepEqual(
      [my.engine, my.host, my.port, my.user, my.database, my.params.ssl],
      ['mysql', 'db.example', 3307, 'u', 'shop', 'true'],
    );
    const pg = dbs.options('pg').settings;
    assert.deepEqual([pg.engine, pg.host, pg.port, pg.database], ['postgres', '::1', undefined, 'shop']);
  });
});
