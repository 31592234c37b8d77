/**
 * Every error leakproof raises is a `LeakproofError` with a stable `code`. Match on `code`,
 * not on the class or the message. Budget errors carry `httpStatus` and `retryAfterMs` so that
 * every adapter answers them the same way. Messages state the pool's condition and never a
 * password. The registry below is checked against `docs/errors.md` by a test.
 *
 * @module
 */

/** The classes an error code is raised as. */
export type ErrorClassName =
  'ConfigError' | 'BudgetError' | 'ScopeError' | 'ConnectionError' | 'StatementError' | 'UsageError' | 'ProbeError';

/**
 * What each code is: the class that raises it, the HTTP status every adapter answers it with
 * (`null`: the probe's, never an HTTP answer), whether that answer carries `Retry-After`, and
 * what it means. The one place these are
 * decided; `docs/errors.md` is checked against it entry by entry.
 */
export interface ErrorEntry {
  readonly class: ErrorClassName;
  readonly status: number | null;
  /** The answer says when to retry (`Retry-After`, from the alias's `retryAfter`): the failure is the moment's, not the request's. */
  readonly retryAfter?: true;
  readonly meaning: string;
}

export const ERROR_REGISTRY = {
  CONFIG_INVALID: {
    class: 'ConfigError',
    status: 500,
    meaning: 'The options given to createDatabases are wrong; the message lists every problem.',
  },
  DRIVER_MISSING: {
    class: 'UsageError',
    status: 500,
    meaning: 'The npm package for this URL scheme is not installed; install it next to leakproof.',
  },
  UNKNOWN_ALIAS: { class: 'UsageError', status: 500, meaning: 'dbs.get() was asked for an alias that createDatabases was not given.' },
  ACQUIRE_TIMEOUT: {
    class: 'BudgetError',
    status: 503,
    retryAfter: true,
    meaning: 'No connection became free within acquireTimeout; the pool was at maxConnections.',
  },
  QUEUE_FULL: {
    class: 'BudgetError',
    status: 503,
    retryAfter: true,
    meaning: 'maxWaiting requests were already waiting for a connection; this one was turned away at once.',
  },
  DATABASE_REFUSED: {
    class: 'BudgetError',
    status: 503,
    retryAfter: true,
    meaning:
      "The database kept refusing new connections for its own limit (MySQL 1040/1203/1226, PostgreSQL 53300) while the request waited acquireTimeout for one of this process's connections: the budgets of the processes sharing it add up to more than it allows.",
  },
  CONNECTION_FAILED: {
    class: 'ConnectionError',
    status: 503,
    retryAfter: true,
    meaning: 'A connection to the database could not be opened, or broke; the cause says why.',
  },
  TLS_FAILED: {
    class: 'ConnectionError',
    status: 503,
    retryAfter: true,
    meaning:
      'The TLS the URL asks for could not be set up: the server has no TLS, or its certificate did not verify against the CA given (sslrootcert / ssl-ca) or for the host name.',
  },
  REQUEST_ENDED: {
    class: 'ScopeError',
    status: 500,
    meaning: 'The request that owns this scope has ended (client gone, timeout, shutdown); its work was stopped.',
  },
  REQUEST_TIMEOUT: {
    class: 'ScopeError',
    status: 503,
    retryAfter: true,
    meaning: "The request ran past the adapter's requestTimeout; its scope ended, its work was stopped and the client was answered 503.",
  },
  STATEMENT_TIMEOUT: {
    class: 'StatementError',
    status: 503,
    retryAfter: true,
    meaning:
      "A statement ran past statementTimeout (stopped by the server) or its call's own timeout, its answer did not come within a grace period after it (the connection was closed), or it still ran releaseTimeout after its request ended; retry later or raise the limit.",
  },
  STATEMENT_CANCELLED: {
    class: 'StatementError',
    status: 503,
    retryAfter: true,
    meaning:
      "The AbortSignal given to the call was aborted: the statement was cancelled on the server, or never sent; `cause` is the signal's reason.",
  },
  NO_SCOPE: {
    class: 'ScopeError',
    status: 500,
    meaning: 'A query ran outside any request scope while strict is on; run it inside dbs.run() or a request.',
  },
  POOL_CLOSED: { class: 'ConnectionError', status: 503, meaning: 'dbs.close() was called; no new connections are handed out.' },
  STREAM_OPEN: {
    class: 'UsageError',
    status: 500,
    meaning:
      'A statement was issued on a connection that a db.stream() of the same request still reads; waiting for the stream would deadlock a loop over it. Finish, break out of or close the stream first.',
  },
  SESSION_STATE: {
    class: 'UsageError',
    status: 500,
    meaning:
      "Behind a transaction pooler (pooler: 'transaction'), a statement whose effect would outlive its transaction on a shared server session (SET without LOCAL, session advisory locks, temporary tables, PREPARE, LISTEN) was refused before it was sent; the message names the transaction-scoped form to use.",
  },
  QUERY_BUILDER_UNSUPPORTED: {
    class: 'UsageError',
    status: 500,
    meaning:
      "A Kysely or Drizzle feature that leakproof cannot map onto the request's connection was used (a transaction isolation level or access mode, a driver this integration does not cover); the message names it and what to do instead.",
  },
  RELEASED_TWICE: {
    class: 'UsageError',
    status: 500,
    meaning: 'A connection was released a second time; this is a bug in leakproof or in code that drives a pool directly.',
  },
  METRICS_INVALID: {
    class: 'UsageError',
    status: 500,
    meaning: 'registerMetrics was given a prefix that is not a valid metric name, or a registry that already holds those metrics.',
  },
  ADAPTER_MISUSED: {
    class: 'UsageError',
    status: 500,
    meaning: 'An adapter was used where it cannot work: leakproof/hono outside @hono/node-server, leakproof/fastify without databases.',
  },
  PROBE_USAGE: { class: 'ProbeError', status: null, meaning: 'The probe was given bad options; the message lists every problem.' },
  PROBE_UNREACHABLE: {
    class: 'ProbeError',
    status: null,
    meaning: 'The probe could not reach the target URL or the database it samples, or the database stopped answering mid-run.',
  },
} as const satisfies Readonly<Record<string, ErrorEntry>>;

export type ErrorCode = keyof typeof ERROR_REGISTRY;

/** Each code and what it means (the registry's `meaning`). */
export const ERROR_CODES: Readonly<Record<ErrorCode, string>> = Object.freeze(
  Object.fromEntries(Object.entries(ERROR_REGISTRY).map(([code, entry]) => [code, entry.meaning])) as Record<ErrorCode, string>,
);

export interface LeakproofErrorOptions {
  readonly cause?: unknown;
  /** For `503` answers: how long the client should wait before retrying. */
  readonly retryAfterMs?: number;
}

/** What an adapter sends for a leakproof error: the status, its headers and a JSON body. */
export interface ErrorAnswer {
  readonly status: number;
  /** `content-type`, and `retry-after` (whole seconds, at least 1) when the error has `retryAfterMs`. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * `{"error": code, "message": ...}` with a generic message only: the detail (hosts, users,
   * the database's own words) is for the server's log, never for whoever sent the request.
   */
  readonly body: string;
}

/** What a client is told, by status; the code says which error it was. */
export const PUBLIC_MESSAGES: Readonly<Record<number, string>> = {
  500: 'The server could not complete the request.',
  503: 'The service is temporarily unavailable; retry after the time in Retry-After.',
};

/** The generic message a client gets for an answer of this status. */
export function publicMessage(status: number): string {
  return PUBLIC_MESSAGES[status] ?? PUBLIC_MESSAGES[500]!;
}

/**
 * The base of every leakproof error. `instanceof LeakproofError` and `error.code` are stable.
 *
 * Besides `httpStatus` and `retryAfterMs`, an error speaks the two conventions frameworks
 * already read off errors, so their own default error handling answers it correctly:
 * `statusCode` and `headers` (the http-errors shape Fastify's and Express's handlers use), and
 * `getResponse()` (the shape of Hono's `HTTPException`). They are getters on the prototype, so
 * logs and `JSON.stringify` do not repeat them.
 */
export class LeakproofError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: LeakproofErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    // The probe's codes are never an HTTP answer; should one reach an adapter, it is a 500.
    this.httpStatus = ERROR_REGISTRY[code].status ?? 500;
    // Only a code the registry marks retryable tells a client when to come back.
    this.retryAfterMs = 'retryAfter' in ERROR_REGISTRY[code] ? options.retryAfterMs : undefined;
  }

  /** `httpStatus`, under the name Fastify's and Express's error handlers read. */
  get statusCode(): number {
    return this.httpStatus;
  }

  /** What the answer's `Retry-After` says: whole seconds, at least 1, for errors that carry `retryAfterMs`; else undefined. */
  get retryAfterSeconds(): number | undefined {
    return this.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(this.retryAfterMs / 1000));
  }

  /** `Retry-After` (`retryAfterSeconds`) for errors that carry `retryAfterMs`, else undefined. */
  get headers(): Readonly<Record<string, string>> | undefined {
    const seconds = this.retryAfterSeconds;
    return seconds === undefined ? undefined : { 'retry-after': String(seconds) };
  }

  /** The answer every adapter sends for this error: the code and a generic message, never `message`. */
  get answer(): ErrorAnswer {
    return {
      status: this.httpStatus,
      headers: { 'content-type': 'application/json; charset=utf-8', ...this.headers },
      body: JSON.stringify({ error: this.code, message: publicMessage(this.httpStatus) }),
    };
  }

  /**
   * The answer as a fetch `Response`, as Hono's `HTTPException` has it, so Hono's default
   * `onError` sends it (and a custom one can: `if (err instanceof LeakproofError) return err.getResponse()`).
   */
  getResponse(): Response {
    const { status, headers, body } = this.answer;
    return new Response(body, { status, headers });
  }
}

/** Bad options: raised by createDatabases, never later. */
export class ConfigError extends LeakproofError {
  /** Every problem found, one line each. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid leakproof configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = Object.freeze([...problems]);
  }
}

/** The connection budget could not be met: answer `503` with `Retry-After`. */
export class BudgetError extends LeakproofError {
  constructor(
    code: 'ACQUIRE_TIMEOUT' | 'QUEUE_FULL' | 'DATABASE_REFUSED',
    message: string,
    options: { cause?: unknown; retryAfterMs: number },
  ) {
    super(code, message, options);
  }
}

/** The request's scope cannot take more work. */
export class ScopeError extends LeakproofError {
  constructor(code: 'REQUEST_ENDED' | 'REQUEST_TIMEOUT' | 'NO_SCOPE', message: string, options: LeakproofErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The database could not be reached or the connection broke. */
export class ConnectionError extends LeakproofError {
  constructor(code: 'CONNECTION_FAILED' | 'TLS_FAILED' | 'POOL_CLOSED', message: string, options: LeakproofErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A statement did not finish in time: answer `503` with `Retry-After`. */
export class StatementError extends LeakproofError {
  constructor(code: 'STATEMENT_TIMEOUT' | 'STATEMENT_CANCELLED', message: string, options: { cause?: unknown; retryAfterMs: number }) {
    super(code, message, options);
  }
}

/** leakproof was used the wrong way: a missing package, an unknown alias, a double release, a statement behind an open stream, a query-builder feature it cannot map, clashing metrics, an adapter where it cannot work. */
export class UsageError extends LeakproofError {
  constructor(
    code:
      | 'DRIVER_MISSING'
      | 'UNKNOWN_ALIAS'
      | 'RELEASED_TWICE'
      | 'STREAM_OPEN'
      | 'SESSION_STATE'
      | 'QUERY_BUILDER_UNSUPPORTED'
      | 'METRICS_INVALID'
      | 'ADAPTER_MISUSED',
    message: string,
    options: LeakproofErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/**
 * The probe could not run: bad options (`PROBE_USAGE`) or an unreachable target or database
 * (`PROBE_UNREACHABLE`). The CLI exits with `exitCode` (2) for both.
 */
export class ProbeError extends LeakproofError {
  /** Every problem found, one line each (one entry for `PROBE_UNREACHABLE`). */
  readonly problems: readonly string[];
  readonly exitCode = 2;

  constructor(code: 'PROBE_USAGE' | 'PROBE_UNREACHABLE', problems: readonly string[], options: LeakproofErrorOptions = {}) {
    const message = code === 'PROBE_USAGE' ? `invalid probe options:\n  - ${problems.join('\n  - ')}` : problems.join('; ');
    super(code, message, options);
    this.problems = Object.freeze([...problems]);
  }
}
