/**
 * The MySQL client's TLS options (`ssl-mode`, `ssl-ca`, `ssl-cert`, `ssl-key`, as `mysql
 * --ssl-mode=VERIFY_IDENTITY` spells them; `sslMode` as Connector/J does) for both MySQL
 * drivers, mapped onto leakproof's TLS modes and then onto each package's `ssl` option.
 *
 * @module
 */
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { withSettings } from '../connect-params.js';
import type { ConnectionSettings } from '../driver.js';
import {
  connectWithAttempts,
  serverHasNoTls,
  TLS_MODES,
  tlsAttempts,
  tlsProblems,
  type TlsAttempt,
  type TlsMode,
  type TlsRequest,
} from '../tls.js';

/** MySQL's names, in the order of leakproof's (libpq's) modes; `allow` has no MySQL name. */
export const MYSQL_SSL_MODES = ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;
const TO_MODE: Readonly<Record<string, TlsMode>> = {
  DISABLED: 'disable',
  PREFERRED: 'prefer',
  REQUIRED: 'require',
  VERIFY_CA: 'verify-ca',
  VERIFY_IDENTITY: 'verify-full',
};

/** Read by leakproof, never passed to the driver as they are. */
export const MYSQL_TLS_KEYS = ['ssl-mode', 'sslMode', 'ssl-ca', 'ssl-cert', 'ssl-key'] as const;

export const MYSQL_TLS_RULES = {
  'ssl-mode': { type: 'enum', values: MYSQL_SSL_MODES, caseless: true },
  sslMode: { type: 'enum', values: MYSQL_SSL_MODES, caseless: true },
  'ssl-ca': { type: 'file' },
  'ssl-cert': { type: 'file' },
  'ssl-key': { type: 'file' },
} as const;

export function mysqlTlsRequest(
  params: Readonly<Record<string, unknown>>,
  driver: Readonly<Record<string, unknown>>,
): TlsRequest | undefined {
  const pick = (key: string): string | undefined => {
    const value = driver[key] ?? params[key];
    return typeof value === 'string' ? value : undefined;
  };
  const name = pick('ssl-mode') ?? pick('sslMode');
  const mode = name === undefined ? undefined : TO_MODE[name.toUpperCase()];
  if (mode === undefined) return undefined;
  return { mode, ca: pick('ssl-ca'), cert: pick('ssl-cert'), key: pick('ssl-key') };
}

export function mysqlTlsProblems(
  params: Readonly<Record<string, unknown>>,
  driver: Readonly<Record<string, unknown>>,
  host: string,
  client: string,
): string[] {
  const request = mysqlTlsRequest(params, driver);
  const given = (key: string): boolean => params[key] !== undefined || driver[key] !== undefined;
  if (request === undefined) {
    const stray = ['ssl-ca', 'ssl-cert', 'ssl-key'].filter(given);
    return stray.length === 0
      ? []
      : [`${stray.join(', ')} given without ssl-mode: add ssl-mode=VERIFY_IDENTITY (recommended) or another mode`];
  }
  const problems: string[] = [];
  if (given('ssl-mode') && given('sslMode')) problems.push('give ssl-mode or sslMode, not both');
  if (given('ssl')) problems.push('give either ssl-mode (with ssl-ca…) or the ssl option, not both');
  // mysql2 checks the certificate against "localhost" when the host is an IP address (it sets
  // no TLS server name then), so VERIFY_IDENTITY could never pass, or pass for the wrong name.
  if (request.mode === 'verify-full' && client === 'mysql2' && isIP(host) !== 0) {
    problems.push(
      `ssl-mode=VERIFY_IDENTITY needs a host name with mysql2, which cannot check a certificate against an IP address: connect by the name in the server's certificate, or use client: 'mariadb'`,
    );
  }
  return [...problems, ...tlsProblems(request, { mode: 'ssl-mode', ca: 'ssl-ca', cert: 'ssl-cert', key: 'ssl-key' })];
}

/**
 * The attempts for a request, in the shape each package takes: mysql2 checks the host name
 * only with `verifyIdentity: true`; the mariadb connector always does unless given a
 * `checkServerIdentity` that accepts everything (which `verify-ca` carries).
 */
export function mysqlTlsAttempts(request: TlsRequest, packageName: 'mysql2' | 'mariadb', host: string): readonly TlsAttempt[] {
  return tlsAttempts(request).map((attempt) => {
    if (attempt === false) return attempt;
    // The connector hands these options to tls.connect on its socket, which then knows no host
    // ("localhost" is checked): name it, for an IP address too (not a server name, RFC 6066).
    if (packageName === 'mariadb')
      return request.mode === 'verify-full' ? { ...attempt, host, ...(isIP(host) === 0 ? { servername: host } : {}) } : attempt;
    return { ...attempt, verifyIdentity: request.mode === 'verify-full' } as ConnectionOptions;
  });
}

export { TLS_MODES };

/**
 * Opens a connection as the MySQL client would for `ssl-mode`: `PREFERRED` goes on in
 * plaintext when the server has no TLS; every other mode is one attempt. Without `ssl-mode`
 * the driver's own `ssl` option (if any) is used as it is.
 */
export function connectMysql<T>(
  settings: ConnectionSettings,
  packageName: 'mysql2' | 'mariadb',
  open: (settings: ConnectionSettings) => Promise<T>,
): Promise<T> {
  const request = mysqlTlsRequest(settings.params, settings.driverOptions);
  if (request === undefined) return open(settings);
  return connectWithAttempts(
    mysqlTlsAttempts(
      request,
      packageName,
      typeof settings.driverOptions['host'] === 'string' ? settings.driverOptions['host'] : settings.host,
    ),
    (ssl) =>
      open(
        withSettings(settings, { driverOptions: { ...withoutMysqlTlsKeys(settings.driverOptions), ssl: ssl === false ? undefined : ssl } }),
      ),
    (error, ssl) => ssl !== false && serverHasNoTls(error),
  );
}

/** Options without the MySQL client's TLS names, which the drivers do not know. */
export function withoutMysqlTlsKeys<T>(options: Readonly<Record<string, T>>): Record<string, T> {
  const rest: Record<string, T> = { ...options };
  for (const key of MYSQL_TLS_KEYS) delete rest[key];
  return rest;
}
