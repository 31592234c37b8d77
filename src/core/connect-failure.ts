import type { ResolvedAlias } from './config/options.js';
import { isTlsError } from '../drivers/tls.js';
import { ConnectionError } from '../errors/errors.js';

/**
 * The error for a connection that could not be opened: `TLS_FAILED` when TLS was the reason
 * (the server had none, or its certificate did not verify), `CONNECTION_FAILED` otherwise.
 * The message names the URL with its password masked, and the alias only when it is not
 * `default` (the one most apps have, so it only adds noise there).
 */
export function connectFailure(config: ResolvedAlias, error: unknown): ConnectionError {
  const reason = error instanceof Error ? error.message : String(error);
  const where = config.alias === 'default' ? config.url : `${config.url} (alias "${config.alias}")`;
  const options = { cause: error, retryAfterMs: config.retryAfter };
  if (config.engine !== 'sqlite' && isTlsError(error)) {
    return new ConnectionError('TLS_FAILED', `could not set up TLS to ${where}: ${reason}`, options);
  }
  return new ConnectionError('CONNECTION_FAILED', `could not connect to ${where}: ${reason}${poolerHint(config, reason)}`, options);
}

/** PgBouncer refuses startup parameters it does not track; the statementTimeout one is ours. */
function poolerHint(config: ResolvedAlias, reason: string): string {
  if (config.engine !== 'postgres' || config.pooler === 'transaction' || !/unsupported startup parameter/i.test(reason)) return '';
  return " (a connection pooler such as PgBouncer answers at this URL: set pooler: 'transaction' for a transaction-mode pooler, and leakproof enforces statementTimeout itself)";
}
