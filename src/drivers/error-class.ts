/**
 * Helpers shared by the per-engine `classifyError` functions.
 *
 * @module
 */

/** Node.js socket and DNS error codes: the connection (or the attempt to make one) is gone. */
const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Errors raised while opening a connection; whatever their code, the connection never existed. */
const connectErrors = new WeakSet<object>();

/** Tags an error thrown by `connect()` (auth failure, unknown database, a failing session SET). */
export function markConnectError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) connectErrors.add(error);
  return error;
}

export function isConnectError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && connectErrors.has(error);
}

export function isSocketError(error: unknown): boolean {
  const code = errorField(error, 'code');
  return typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

/** Reads one property of an unknown thrown value, without trusting its shape. */
export function errorField(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

export function errorMessage(error: unknown): string {
  const message = errorField(error, 'message');
  return typeof message === 'string' ? message : '';
}
