/**
 * What the server's operator hears about an error that a client was answered for: the full
 * detail (the URL with its password masked, the driver's reason, the cause), once per kind of
 * error and then at most once per interval with a count, through a pino-compatible logger; and
 * every time on `diagnostics_channel` (`leakproof:request:error`). The client itself gets only
 * the stable code and a generic message (`LeakproofError.answer`).
 *
 * @module
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { LeakproofError } from '../../errors/errors.js';
import { maskText } from '../../secrets/mask-secrets.js';

/**
 * The part of a pino (or bunyan, or Fastify's `fastify.log`) logger leakproof uses: `error`
 * and `warn`, each called as `(fields, message)`.
 */
export interface Logger {
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The channel every answered error is published on, with a {@link RequestErrorEvent}. */
export const REQUEST_ERROR_CHANNEL = 'leakproof:request:error';

/** What `leakproof:request:error` carries. */
export interface RequestErrorEvent {
  /** The error's code (`CONNECTION_FAILED`, …), or `undefined` for an error that is not leakproof's. */
  readonly code: string | undefined;
  /** The status the client was answered with. */
  readonly status: number;
  /** `METHOD /path`, the query string left out. */
  readonly label: string;
  /** The error itself, with the detail the client did not get. */
  readonly error: unknown;
}

export interface ErrorLogOptions {
  /** Where the detail goes; `false` logs nothing (the channel still publishes). Default: the console. */
  readonly logger?: Logger | false | undefined;
  /** Errors of one kind are logged at most once per this many ms, with a count. Default 10000. */
  readonly logInterval?: number | undefined;
}

/** Logs the detail of errors answered to clients, rate-limited; see the module comment. */
export type ErrorLog = (error: unknown, label: string, status: number) => void;

const DEFAULT_INTERVAL_MS = 10_000;
const channel = diagnosticsChannel.channel(REQUEST_ERROR_CHANNEL);

/** A pino-shaped logger over `console.error` / `console.warn`. */
export const consoleLogger: Logger = {
  error: (fields, message) => console.error(message, fields['err'] ?? ''),
  warn: (fields, message) => console.warn(message, fields['err'] ?? ''),
};

/** Creates an adapter's error log (one per adapter instance: its rate limits are its own). */
export function createErrorLog(options: ErrorLogOptions = {}): ErrorLog {
  const logger = options.logger === undefined ? consoleLogger : options.logger;
  const interval = options.logInterval ?? DEFAULT_INTERVAL_MS;
  const seen = new Map<string, { last: number; suppressed: number }>();
  return (error, label, status) => {
    const code = error instanceof LeakproofError ? error.code : undefined;
    if (channel.hasSubscribers) channel.publish({ code, status, label, error } satisfies RequestErrorEvent);
    // The client left, or the request timed out (its own answer says so): nothing to act on.
    if (logger === false || code === 'REQUEST_ENDED') return;
    const message = error instanceof Error ? error.message : String(error);
    const key = `${code ?? 'other'}:${message.replace(/\d+/g, '#')}`;
    const now = Date.now();
    const entry = seen.get(key);
    if (entry !== undefined && now - entry.last < interval) {
      entry.suppressed++;
      return;
    }
    if (seen.size > 1000) seen.clear();
    seen.set(key, { last: now, suppressed: 0 });
    const more =
      entry === undefined || entry.suppressed === 0
        ? ''
        : ` (${entry.suppressed} more like it in the last ${Math.round((now - entry.last) / 1000)} s)`;
    const line = maskText(`leakproof: ${label} answered ${status}${code === undefined ? '' : ` ${code}`}: ${message}${more}`);
    const level = code === 'ACQUIRE_TIMEOUT' || code === 'QUEUE_FULL' || code === 'REQUEST_TIMEOUT' ? 'warn' : 'error';
    logger[level]({ err: error, code, status, request: label }, line);
  };
}
