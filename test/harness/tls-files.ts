/**
 * TLS material for throwaway servers, made with Debian's `openssl` in a temp dir: a CA, a
 * server certificate it signed for the name `localhost` only (so connecting to `127.0.0.1`
 * fails a host-name check), and a second, unrelated CA for "wrong CA" tests.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** File paths of what `makeTlsFiles` wrote. */
export interface TlsFiles {
  readonly dir: string;
  /** The CA that signed the server certificate. */
  readonly ca: string;
  /** The server's certificate (SAN: DNS localhost) and key. */
  readonly cert: string;
  readonly key: string;
  /** A CA that signed nothing the servers use. */
  readonly wrongCa: string;
}

/** Makes a CA, a server certificate and key, and a wrong CA (about 100 ms with EC keys). */
export async function makeTlsFiles(): Promise<TlsFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'leakproof-tls-'));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir, timeout: 30_000 });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=leakproof test CA',
  );
  await openssl(
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    path('wrong-ca.key'),
    '-out',
    path('wrong-ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=leakproof wrong CA',
  );
  await openssl('req', ...ecKey, '-keyout', path('server.key'), '-out', path('server.csr'), '-subj', '/CN=localhost');
  await writeFile(
    path('server.ext'),
    'subjectAltName = DNS:localhost\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n',
  );
  await openssl(
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-out',
    path('server.pem'),
    '-days',
    '2',
    '-extfile',
    path('server.ext'),
  );
  return { dir, ca: path('ca.pem'), cert: path('server.pem'), key: path('server.key'), wrongCa: path('wrong-ca.pem') };
}
