/**
 * TLS for every engine, in one vocabulary: libpq's `sslmode` names, which MySQL's `ssl-mode`
 * names map onto one to one (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY).
 *
 * A mode becomes a list of attempts, tried in order until one is not refused for its TLS
 * choice: `prefer` tries TLS without checks, then plaintext if the server has no TLS; `allow`
 * tries plaintext, then TLS if the server wants it. Every other mode is one attempt. This is
 * how libpq and the MySQL client behave, which `pg`, `mysql2` and `mariadb` do not do
 * themselves.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { errorField, errorMessage } from './error-class.js';

/** libpq's modes; MySQL's DISABLED/PREFERRED/REQUIRED/VERIFY_CA/VERIFY_IDENTITY map to disable/prefer/require/verify-ca/verify-full. */
export type TlsMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export const TLS_MODES: readonly TlsMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** What a user asked for, with file paths (as the native clients take them). */
export interface TlsRequest {
  readonly mode: TlsMode;
  /** CA certificate file to verify the server against; `system` (libpq) = the system's CAs. */
  readonly ca?: string | undefined;
  /** Client certificate and key files, for servers that check them. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** Passphrase of an encrypted client key. */
  readonly passphrase?: string | undefined;
}

/** One way to open the connection: plaintext (`false`) or TLS with these options. */
export type TlsAttempt = false | ConnectionOptions;

/** The options of a TLS attempt with certificate checks: chain only (`verify-ca`) or chain and host name. */
function verified(request: TlsRequest, checkHost: boolean): ConnectionOptions {
  return {
    ...material(request),
    rejectUnauthorized: true,
    ...(checkHost ? {} : { checkServerIdentity: () => undefined }),
  };
}

function unverified(request: TlsRequest): ConnectionOptions {
  return { ...material(request), rejectUnauthorized: false };
}

function material(request: TlsRequest): ConnectionOptions {
  return {
    ...(request.ca !== undefined && request.ca !== 'system' ? { ca: readPem(request.ca) } : {}),
    ...(request.cert !== undefined ? { cert: readPem(request.cert) } : {}),
    ...(request.key !== undefined ? { key: readPem(request.key) } : {}),
    ...(request.passphrase !== undefined ? { passphrase: request.passphrase } : {}),
  };
}

/** The attempts for a mode, in the order the native clients make them. */
export function tlsAttempts(request: TlsRequest): readonly TlsAttempt[] {
  switch (request.mode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, unverified(request)];
    case 'prefer':
      return [unverified(request), false];
    case 'require':
      return [unverified(request)];
    case 'verify-ca':
      return [verified(request, false)];
    case 'verify-full':
      return [verified(request, true)];
  }
}

/**
 * Problems with a request that the native client would refuse too: libpq's `sslrootcert=system`
 * needs `verify-full`, and a client key needs its certificate (and the other way round).
 */
export function tlsProblems(
  request: TlsRequest,
  names: { readonly mode: string; readonly ca: string; readonly cert: string; readonly key: string },
): string[] {
  const problems: string[] = [];
  if (request.ca === 'system' && request.mode !== 'verify-full')
    problems.push(`${names.ca}=system checks the server against the system's CAs, which needs ${names.mode} verify-full`);
  if ((request.cert === undefined) !== (request.key === undefined))
    problems.push(`${names.cert} and ${names.key} go together: a client certificate needs its key`);
  return problems;
}

const pemCache = new Map<string, string>();

/** A PEM file's text, read once per path (the config check made sure it exists). */
function readPem(path: string): string {
  let pem = pemCache.get(path);
  if (pem === undefined) {
    pem = readFileSync(path, 'utf8');
    pemCache.set(path, pem);
  }
  return pem;
}

/** Node's codes for a certificate the client could not verify, and TLS handshake failures. */
const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'EPROTO',
  'ERR_OSSL_PEM_NO_START_LINE',
  'ERR_OSSL_EVP_BAD_DECRYPT',
  // The server has no TLS while the mode requires it: mysql2, mariadb.
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ER_SERVER_SSL_DISABLED',
]);

/** pg's and the mariadb connector's words for the same failures (they carry no Node code). */
const TLS_MESSAGES =
  /does not support SSL|self[- ]signed certificate|unable to verify|certificate identify|Hostname\/IP does not match|certificate has expired|wrong version number|SSL routines|TLS/i;

/** Whether a connect error is a TLS failure: the server had no TLS, or its certificate did not verify. */
export function isTlsError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const code = errorField(current, 'code');
    if (typeof code === 'string' && (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) return true;
    if (TLS_MESSAGES.test(errorMessage(current)) && !/password|auth/i.test(errorMessage(current))) return true;
    current = errorField(current, 'cause');
  }
  return false;
}

/** Whether a TLS attempt failed because the server has no TLS at all (so `prefer` goes on in plaintext). */
export function serverHasNoTls(error: unknown): boolean {
  const code = errorField(error, 'code');
  return code === 'HANDSHAKE_NO_SSL_SUPPORT' || code === 'ER_SERVER_SSL_DISABLED' || /does not support SSL/i.test(errorMessage(error));
}

/**
 * Opens a connection with each attempt in turn: the next one only when the previous failed for
 * its TLS choice (`retryable`), so a wrong password is not tried twice.
 */
export async function connectWithAttempts<T>(
  attempts: readonly TlsAttempt[],
  open: (attempt: TlsAttempt) => Promise<T>,
  retryable: (error: unknown, attempt: TlsAttempt) => boolean,
): Promise<T> {
  let lastError: unknown;
  for (const [index, attempt] of attempts.entries()) {
    try {
      return await open(attempt);
    } catch (error) {
      lastError = error;
      if (index === attempts.length - 1 || !retryable(error, attempt)) throw error;
    }
  }
  throw lastError;
}
