/**
 * What `pg` accepts, as URL parameters and `driver: {...}` options, and how libpq's TLS
 * parameters (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `sslpassword`) map onto pg's `ssl`.
 *
 * @module
 */
import { isPlainObject, is, oneOf, RULES, type OptionRules } from '../option-rules.js';
import { TLS_MODES, tlsAttempts, tlsProblems, type TlsAttempt, type TlsMode, type TlsRequest } from '../tls.js';

/** pg's own `no-verify`, on top of libpq's six. */
const SSL_MODES = [...TLS_MODES, 'no-verify'] as const;

/** libpq's TLS parameters: read by leakproof, never passed to pg as they are. */
export const PG_TLS_KEYS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword'] as const;

const startupString = { type: 'string', pattern: /^[^\0]*$/, expected: 'a string' } as const;

export const PG_OPTION_RULES: OptionRules = {
  host: RULES.string,
  port: RULES.port,
  user: RULES.string,
  database: RULES.string,
  password: oneOf('a string or a function returning one', is.string, is.function),
  application_name: startupString,
  fallback_application_name: startupString,
  options: startupString,
  client_encoding: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,40}$/, expected: 'an encoding name such as UTF8' },
  lock_timeout: RULES.ms,
  idle_in_transaction_session_timeout: RULES.ms,
  query_timeout: RULES.ms,
  keepAlive: RULES.boolean,
  keepAliveInitialDelayMillis: RULES.ms,
  binary: RULES.boolean,
  enableChannelBinding: RULES.boolean,
  scramMaxIterations: RULES.count(1, 100_000_000),
  sslnegotiation: { type: 'enum', values: ['postgres', 'direct'] },
  types: {
    type: 'value',
    expected: 'an object with a getTypeParser function (pg.types)',
    check: (value) =>
      (isPlainObject(value) || typeof value === 'object') &&
      value !== null &&
      typeof (value as { getTypeParser?: unknown }).getTypeParser === 'function'
        ? undefined
        : 'must be an object with a getTypeParser function (pg.types)',
  },
  ssl: { type: 'value', expected: 'true, false or an object of TLS options', check: checkSslObject },
  sslmode: { type: 'enum', values: SSL_MODES },
  sslrootcert: { type: 'file', words: ['system'] },
  sslcert: RULES.file,
  sslkey: RULES.file,
  sslpassword: RULES.string,
  statement_timeout: RULES.refused('use the statementTimeout option'),
  connectionTimeoutMillis: RULES.refused('use the connectTimeout option'),
  connectionString: RULES.refused('give the connection string as the url'),
  stream: RULES.refused('leakproof opens the socket itself'),
  connection: RULES.refused('leakproof opens the connection itself'),
  replication: RULES.refused('a replication connection cannot run the statements a pool hands it'),
  Promise: RULES.refused('leakproof uses the built-in Promise'),
};

/** The `ssl` driver option, as pg reads it: a boolean or TLS options of the right types. */
function checkSslObject(value: unknown): string | undefined {
  if (typeof value === 'boolean') return undefined;
  if (!isPlainObject(value)) return 'must be true, false or an object of TLS options';
  const wrong = Object.entries(value).find(([key, item]) => !sslFieldOk(key, item));
  return wrong === undefined
    ? undefined
    : `has a bad "${wrong[0].slice(0, 30)}" (ca/cert/key: PEM strings or Buffers; rejectUnauthorized: a boolean; servername, passphrase: strings; checkServerIdentity: a function)`;
}

function sslFieldOk(key: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (key === 'ca' || key === 'cert' || key === 'key' || key === 'pfx' || key === 'crl') return is.pem(value);
  if (key === 'rejectUnauthorized' || key === 'requestCert') return typeof value === 'boolean';
  if (key === 'servername' || key === 'passphrase' || key === 'ciphers' || key === 'ecdhCurve') return is.string(value);
  if (key === 'minVersion' || key === 'maxVersion') return typeof value === 'string' && /^TLSv1(\.[123])?$/.test(value);
  if (key === 'checkServerIdentity') return typeof value === 'function';
  return true;
}

/** The TLS request in URL parameters and driver options (driver options win); undefined if none. */
export function pgTlsRequest(params: Readonly<Record<string, unknown>>, driver: Readonly<Record<string, unknown>>): TlsRequest | undefined {
  const pick = (key: string): string | undefined => {
    const value = driver[key] ?? params[key];
    return typeof value === 'string' ? value : undefined;
  };
  const mode = pick('sslmode');
  if (mode === undefined) return undefined;
  const ca = pick('sslrootcert');
  // libpq: "If a root CA file exists, the behavior of sslmode=require will be the same as that of verify-ca."
  const resolved: TlsMode = mode === 'no-verify' ? 'require' : mode === 'require' && ca !== undefined ? 'verify-ca' : (mode as TlsMode);
  return { mode: resolved, ca, cert: pick('sslcert'), key: pick('sslkey'), passphrase: pick('sslpassword') };
}

export function pgTlsProblems(params: Readonly<Record<string, unknown>>, driver: Readonly<Record<string, unknown>>): string[] {
  const request = pgTlsRequest(params, driver);
  if (request === undefined) {
    const stray = PG_TLS_KEYS.filter((key) => key !== 'sslmode' && (params[key] !== undefined || driver[key] !== undefined));
    return stray.length === 0 ? [] : [`${stray.join(', ')} given without sslmode: add sslmode=verify-full (recommended) or another mode`];
  }
  if (driver['ssl'] !== undefined) return ['give either sslmode (with sslrootcert…) or the ssl driver option, not both'];
  return tlsProblems(request, { mode: 'sslmode', ca: 'sslrootcert', cert: 'sslcert', key: 'sslkey' });
}

/** The attempts pg makes for a TLS request (no request: one attempt with pg's own `ssl`). */
export function pgTlsAttempts(request: TlsRequest | undefined): readonly (TlsAttempt | undefined)[] {
  return request === undefined ? [undefined] : tlsAttempts(request);
}
