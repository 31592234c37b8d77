/**
 * The one secrets module (src/secrets/mask-secrets.ts): every URL shape, malformed ones
 * included, never shows any part of its password; headers, query parameters, driver options
 * and free text are masked the same way everywhere.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { ConfigError, createDatabases } from '../src/index.js';
import { maskHeaders, maskOptions, maskText, maskUrl, secretsOf } from '../src/secrets/mask-secrets.js';

/** Passwords with every character that breaks a URL, unencoded. */
const HARD_PASSWORDS = ['p@ss:w0rd#x', 'a/b?c#d@e', '123#Qx9z', '12/x', '100%', 'Zq w9', 'pä$$wörd', 'x@y@z', 'Sm;Cq&Zx'];

function parts(secret: string): string[] {
  // Any run of 3+ characters of the password, so a partial leak is caught too.
  const out: string[] = [];
  for (let i = 0; i + 3 <= secret.length; i++) out.push(secret.slice(i, i + 3));
  return out
    .filter((part) => !/^[\w.]*$/.test(part) || part.length >= 3)
    .filter((part) => !['127', '0.0', '.0.', '3306', '330', '306'].includes(part));
}

describe('masking secrets', () => {
  it('masks well-formed URLs, their credential parameters, and leaves others alone', () => {
    assert.equal(maskUrl('mysql://app:s3cret@db:3306/app'), 'mysql://app:***@db:3306/app');
    assert.equal(
      maskUrl('postgres://app:p%40ss@db/app?sslmode=require&password=x'),
      'postgres://app:***@db/app?sslmode=require&password=***',
    );
    assert.equal(maskUrl('postgres://db/app?sslpassword=x&application_name=a'), 'postgres://db/app?sslpassword=***&application_name=a');
    assert.equal(maskUrl('http://host/metrics'), 'http://host/metrics');
    assert.equal(maskUrl('mysql://u@h/d'), 'mysql://u@h/d');
    assert.equal(maskUrl('sqlite:./x.sqlite3'), 'sqlite:./x.sqlite3');
  });

  for (const password of HARD_PASSWORDS) {
    it(`never shows any part of an unencoded password ${JSON.stringify(password)}`, () => {
      const url = `mysql://nuser:${password}@127.0.0.1:3306/test`;
      const masked = maskUrl(url);
      assert.equal(masked, 'mysql://nuser:***@127.0.0.1:3306/test');
      const text = maskText(`could not connect to ${url}: Access denied`, secretsOf([url]));
      for (const part of parts(password)) assert.ok(!text.includes(part), `${JSON.stringify(part)} of the password is in ${text}`);
    });
  }

  it('finds a password in every form a message may carry it', () => {
    assert.deepEqual(secretsOf(['postgres://app:p%40ss@db/app']).sort(), ['p%40ss', 'p@ss'].sort());
    assert.ok(secretsOf(['mysql://u:p@ss:w0rd#x@h/d']).includes('p%40ss%3Aw0rd%23x'));
    assert.ok(secretsOf(['postgres://h/d?password=a%20b']).includes('a b'));
    assert.equal(maskText('auth failed for p@ss at mysql://root:hunter2@x/y', ['p@ss']), 'auth failed for *** at mysql://root:***@x/y');
    assert.equal(maskText('not a url //u:secret@h'), 'not a url //u:***@h');
  });

  it('masks credential headers and driver options, nested TLS keys included', () => {
    assert.deepEqual(maskHeaders({ Cookie: 'sid=1', 'X-Auth-Token': 't', Accept: 'text/html' }), {
      Cookie: '***',
      'X-Auth-Token': '***',
      Accept: 'text/html',
    });
    const masked = maskOptions({
      password: 'x',
      ssl: { key: '-----BEGIN PRIVATE KEY-----\nabc', passphrase: 'pp', ca: 'C' },
      application_name: 'a',
    });
    assert.deepEqual(masked, { password: '***', ssl: { key: '***', passphrase: '***', ca: 'C' }, application_name: 'a' });
  });
});

describe('a malformed URL in the config', () => {
  for (const password of HARD_PASSWORDS) {
    it(`names no part of the password ${JSON.stringify(password)} and says to percent-encode it`, () => {
      const url = `mysql://nuser:${password}@127.0.0.1:3306/test`;
      let error: unknown;
      let dbs;
      try {
        dbs = createDatabases({ default: url });
      } catch (caught) {
        error = caught;
      }
      // Some of them are valid URLs once the parser has had its way (`sp ace`, `x@y@z`):
      // then the password must be the whole of what was written.
      if (dbs !== undefined) {
        assert.equal(dbs.options().settings.password, password);
        for (const view of [inspect(dbs.options(), { depth: 8 }), JSON.stringify(dbs.options())]) {
          for (const part of parts(password)) assert.ok(!view.includes(part), view);
        }
        return;
      }
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /percent-encode/);
      for (const part of parts(password)) assert.ok(!error.message.includes(part), `${JSON.stringify(part)} in ${error.message}`);
    });
  }

  it("the issue's own example: an unencoded @ and # in the password", () => {
    assert.throws(
      () => createDatabases({ default: 'mysql://nuser:p@ss:w0rd#x@127.0.0.1:3306/test' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /percent-encode it/);
        assert.doesNotMatch(error.message, /ss:w0rd|w0rd|#x|scheme/);
        return true;
      },
    );
  });

  it('options() never shows ?password= or driver: { password }', () => {
    const dbs = createDatabases({
      default: { url: 'postgres://u@h/d?sslmode=prefer&sslpassword=Top-Secret-1', driver: { password: 'Top-Secret-2', ssl: undefined } },
    });
    for (const view of [inspect(dbs.options(), { depth: 8 }), JSON.stringify(dbs.options()), JSON.stringify(dbs.options().settings)]) {
      assert.ok(!view.includes('Top-Secret'), view);
    }
    assert.equal(dbs.options().settings.driverOptions['password'], 'Top-Secret-2');
  });
});
