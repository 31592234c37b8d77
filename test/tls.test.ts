/**
 * TLS against real servers that serve it: throwaway MariaDB and PostgreSQL started with a
 * certificate made in the test (Debian's openssl), the server's own view of each session
 * (`pg_stat_ssl`, MariaDB's `Ssl_cipher`) telling encrypted from plaintext.
 *
 * - require / prefer → encrypted; disable → plaintext;
 * - verify-full (the recommendation) with the right CA → encrypted; with a wrong CA → TLS_FAILED;
 * - verify-ca checks the chain, not the name: the certificate names `localhost`, not
 *   `127.0.0.1`, so verify-full refuses 127.0.0.1 and verify-ca accepts it (mysql2 cannot check
 *   a name against an IP address at all, so that config is refused up front);
 * - prefer against a server without TLS goes on in plaintext; require there is TLS_FAILED.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createDatabases, LeakproofError, type Databases } from '../src/index.js';
import { engineTargets } from './harness/shared-server.js';
import { makeTlsFiles, type TlsFiles } from './harness/tls-files.js';
import type { TestServer } from './harness/test-server.js';

type Client = 'mysql2' | 'mariadb' | 'pg';

const MODES = {
  mysql: { disable: 'DISABLED', prefer: 'PREFERRED', require: 'REQUIRED', 'verify-ca': 'VERIFY_CA', 'verify-full': 'VERIFY_IDENTITY' },
  postgres: { disable: 'disable', prefer: 'prefer', require: 'require', 'verify-ca': 'verify-ca', 'verify-full': 'verify-full' },
} as const;
type Mode = keyof (typeof MODES)['postgres'];

function tlsUrl(server: TestServer, mode: Mode, ca?: string, host?: string): string {
  const url = new URL(server.url);
  if (host !== undefined) url.hostname = host;
  if (server.engine === 'postgres') {
    url.searchParams.set('sslmode', MODES.postgres[mode]);
    if (ca !== undefined) url.searchParams.set('sslrootcert', ca);
  } else {
    url.searchParams.set('ssl-mode', MODES.mysql[mode]);
    if (ca !== undefined) url.searchParams.set('ssl-ca', ca);
  }
  return url.toString();
}

/** Whether the server itself says this session is encrypted. */
async function encrypted(dbs: Databases, engine: TestServer['engine']): Promise<boolean> {
  const db = dbs.get();
  if (engine === 'postgres') {
    const [row] = await db.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return row?.ssl === true;
  }
  const [row] = await db.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  return (row?.Value ?? '') !== '';
}

const clients: Record<TestServer['engine'], readonly Client[]> = { mariadb: ['mysql2', 'mariadb'], postgres: ['pg'] };

let files: TlsFiles | undefined;
before(async () => {
  files = await makeTlsFiles();
});
after(async () => {
  if (files !== undefined) await rm(files.dir, { recursive: true, force: true });
});

for (const target of engineTargets()) {
  describe(`TLS [${target.engine}]`, { skip: target.skip }, () => {
    let tlsServer: TestServer | undefined;
    let plainServer: TestServer | undefined;
    const open: Databases[] = [];
    before(async () => {
      tlsServer = await target.start({ tls: { ca: files!.ca, cert: files!.cert, key: files!.key } });
      plainServer = await target.server();
    });
    after(async () => {
      await Promise.all(open.map((dbs) => dbs.close()));
      await tlsServer?.stop();
    });

    for (const client of clients[target.engine]) {
      const databases = (url: string): Databases => {
        const dbs = createDatabases({ default: { url, connectTimeout: 5000, ...(client === 'pg' ? {} : { client }) } });
        open.push(dbs);
        return dbs;
      };
      const failure = async (url: string): Promise<LeakproofError> => {
        const error = await databases(url)
          .get()
          .query('SELECT 1')
          .catch((e: unknown) => e);
        assert.ok(error instanceof LeakproofError, String(error));
        return error;
      };

      it(`${client}: require and prefer → encrypted, disable → plaintext, as the server counts it`, async () => {
        assert.equal(await encrypted(databases(tlsUrl(tlsServer!, 'require')), target.engine), true, 'require');
        assert.equal(await encrypted(databases(tlsUrl(tlsServer!, 'prefer')), target.engine), true, 'prefer');
        assert.equal(await encrypted(databases(tlsUrl(tlsServer!, 'disable')), target.engine), false, 'disable');
        assert.equal(await encrypted(databases(tlsServer!.url), target.engine), false, "no mode: the driver's default, plaintext");
      });

      it(`${client}: verify-full with the CA that signed the certificate → encrypted; with a wrong CA → TLS_FAILED`, async () => {
        assert.equal(await encrypted(databases(tlsUrl(tlsServer!, 'verify-full', files!.ca, 'localhost')), target.engine), true);
        for (const mode of ['verify-full', 'verify-ca'] as const) {
          const error = await failure(tlsUrl(tlsServer!, mode, files!.wrongCa, 'localhost'));
          assert.equal(error.code, 'TLS_FAILED', `${mode}: ${error.message}`);
          assert.equal(error.httpStatus, 503);
          assert.ok(!error.message.includes(tlsServer!.password));
        }
      });

      it(`${client}: verify-ca checks the chain only, verify-full the host name too`, async () => {
        // The certificate names localhost only; the URL says 127.0.0.1.
        assert.equal(await encrypted(databases(tlsUrl(tlsServer!, 'verify-ca', files!.ca)), target.engine), true);
        const url = tlsUrl(tlsServer!, 'verify-full', files!.ca);
        if (client === 'mysql2') {
          assert.throws(
            () => databases(url),
            (error: unknown) =>
              error instanceof LeakproofError && error.code === 'CONFIG_INVALID' && /needs a host name with mysql2/.test(error.message),
          );
          return;
        }
        const error = await failure(url);
        assert.equal(error.code, 'TLS_FAILED', error.message);
      });

      it(`${client}: against a server without TLS, prefer goes on in plaintext and require fails with TLS_FAILED`, async () => {
        assert.equal(await encrypted(databases(tlsUrl(plainServer!, 'prefer')), target.engine), false);
        const error = await failure(tlsUrl(plainServer!, 'require'));
        assert.equal(error.code, 'TLS_FAILED', error.message);
      });
    }
  });
}
