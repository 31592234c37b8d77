/**
 * What reaches a driver is checked by createDatabases, per driver: URL query parameters and
 * `driver: {...}` options, by name, type, range and allowed value. Each config below once
 * crashed the process from inside a driver's socket handler when the server was down
 * (issue 12); now each is one line of one CONFIG_INVALID error, all of them at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, createDatabases, LeakproofError, type DatabasesConfig } from '../src/index.js';

const DOWN_PG = 'postgres://u:Pw-Down-1@127.0.0.1:1/db';
const DOWN_MY = 'mysql://u:Pw-Down-1@127.0.0.1:1/db';

function problemsOf(config: DatabasesConfig): readonly string[] {
  try {
    createDatabases(config);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes('Pw-Down-1'));
    return error.problems;
  }
  assert.fail('expected CONFIG_INVALID');
}

describe('driver options and URL parameters', () => {
  it('the configs that crashed the process are one CONFIG_INVALID, listing every problem', () => {
    const problems = problemsOf({
      default: { url: DOWN_PG, driver: { application_name: 5 } },
      user: { url: DOWN_PG, driver: { user: 42 } },
      stream: `${DOWN_PG}?stream=x`,
      types: `${DOWN_PG}?types=0`,
      prepared: `${DOWN_MY}?maxPreparedStatements=0`,
      typesObject: { url: DOWN_PG, driver: { types: 0 } },
    });
    const text = problems.join('\n');
    for (const expected of [
      /default: driver option "application_name" must be a string, got number 5/,
      /user: driver option "user" must be a string, got number 42/,
      /stream: URL parameter "stream" cannot be set: leakproof opens the socket itself/,
      /types: URL parameter "types" must be an object with a getTypeParser function/,
      /prepared: URL parameter "maxPreparedStatements" must be between 1 and 1000000, got 0/,
      /typesObject: driver option "types" must be an object with a getTypeParser function/,
    ])
      assert.match(text, expected);
    assert.equal(problems.length, 6, text);
  });

  it('?application_name=true is the string "true", as libpq reads it, and connects to a closed port as a typed error', async () => {
    const dbs = createDatabases({ default: { url: `${DOWN_PG}?application_name=true`, connectTimeout: 2000 } });
    const error = await dbs
      .get()
      .query('SELECT 1')
      .catch((e: unknown) => e);
    assert.ok(error instanceof LeakproofError && error.code === 'CONNECTION_FAILED', String(error));
    await dbs.close();
  });

  it('types, ranges and enums per driver, with a did-you-mean for unknown names', () => {
    const text = problemsOf({
      default: `${DOWN_PG}?applicaton_name=x&keepAlive=maybe&lock_timeout=-1&sslmode=strict`,
      my: { url: `${DOWN_MY}?enableKeepAlive=yes&timezone=Mars`, driver: { charset: 'utf8; DROP', connectionLimit: 3 } },
      maria: { url: `${DOWN_MY}?prepareCacheLength=1e3`, client: 'mariadb', driver: { initSql: 5 } },
      lite: { url: 'sqlite:./never.sqlite3?busy_timeout=soon&journal=wal', driver: { readonly: 'yes' } },
    }).join('\n');
    for (const expected of [
      /default: unknown URL parameter "applicaton_name" for pg \(did you mean "application_name"\?\)/,
      /default: URL parameter "keepAlive" must be true or false/,
      /default: URL parameter "lock_timeout" must be between 0 and/,
      /default: URL parameter "sslmode" must be one of disable, allow, prefer, require, verify-ca, verify-full, no-verify/,
      /my: URL parameter "enableKeepAlive" must be true or false/,
      /my: URL parameter "timezone" must be "local", "Z" or an offset/,
      /my: driver option "charset" must be a charset or collation name/,
      /my: driver option "connectionLimit" cannot be set: use maxConnections/,
      /maria: URL parameter "prepareCacheLength" must be a whole number/,
      /maria: driver option "initSql" must be a string or an array of strings/,
      /lite: URL parameter "busy_timeout" must be a whole number of milliseconds/,
      /lite: unknown URL parameter "journal" for better-sqlite3/,
      /lite: driver option "readonly" must be true or false/,
    ])
      assert.match(text, expected);
  });

  it('never shows the value of a credential, even a wrong one', () => {
    const text = problemsOf({ default: { url: DOWN_PG, driver: { password: 123456789 } } }).join('\n');
    assert.match(text, /driver option "password" must be a string or a function/);
    assert.doesNotMatch(text, /123456789/);
  });

  it('TLS: files must exist, modes and options must not clash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-tls-opts-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const text = problemsOf({
      default: `${DOWN_PG}?sslmode=verify-full&sslrootcert=${join(dir, 'missing.pem')}`,
      system: `${DOWN_PG}?sslmode=require&sslrootcert=system`,
      stray: `${DOWN_PG}?sslrootcert=${ca}`,
      both: { url: `${DOWN_PG}?sslmode=verify-full`, driver: { ssl: true } },
      my: `${DOWN_MY}?ssl-mode=verify_identity&ssl-cert=${ca}`,
      myssl: `${DOWN_MY}?ssl-mode=REQUIRED&ssl=true`,
      mymode: `${DOWN_MY}?ssl-mode=ON`,
    }).join('\n');
    for (const expected of [
      /default: URL parameter "sslrootcert"|default: .*missing\.pem/,
      /system: sslrootcert=system .* needs sslmode verify-full/,
      /stray: sslrootcert given without sslmode/,
      /both: give either sslmode .* or the ssl driver option, not both/,
      /my: ssl-cert and ssl-key go together/,
      /myssl: give either ssl-mode .* or the ssl option, not both/,
      /mymode: URL parameter "ssl-mode" must be one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY/,
    ])
      assert.match(text, expected);
    // The good ones pass: the spellings the native clients use.
    createDatabases({
      default: `${DOWN_PG}?sslmode=verify-full&sslrootcert=${ca}`,
      my: `mysql://u@localhost:1/db?ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca}`,
      my2: `${DOWN_MY}?sslMode=preferred`,
      maria: { url: `${DOWN_MY}?ssl-mode=VERIFY_CA&ssl-ca=${ca}`, client: 'mariadb' },
    });
  });

  it('accepts the options people pass, typed as the driver wants them', () => {
    const dbs = createDatabases({
      default: {
        url: `${DOWN_PG}?application_name=shop&keepAlive=true&options=-c%20search_path%3Dapp`,
        driver: { keepAliveInitialDelayMillis: 10_000, types: { getTypeParser: () => String } },
      },
      my: { url: `${DOWN_MY}?enableKeepAlive=1&timezone=Z&ssl=true`, driver: { dateStrings: ['DATE'], typeCast: true } },
      lite: 'sqlite:./never.sqlite3?busy_timeout=2000&fileMustExist=false',
    });
    assert.equal(dbs.options().settings.params['application_name'], 'shop');
    assert.equal(dbs.options().settings.params['options'], '-c search_path=app');
  });
});
