/**
 * Graceful shutdown for a server whose requests use leakproof, whichever adapter serves them
 * (`node:http`, Fastify's `app.server`, Express's `app.listen()`, Hono's `serve()`), in the
 * order that leaves the database with nothing open:
 *
 * 1. stop accepting, close idle keep-alive connections (and keep closing the ones that turn
 *    idle), ask HTTP/1 clients to close after their response, send HTTP/2 sessions a GOAWAY;
 * 2. let the requests in flight finish, until `deadline`;
 * 3. end the rest as `shutdown` (their signals fire, their transactions roll back, their
 *    responses are cut off) and close every connection;
 * 4. `dbs.close()`, which waits at most `closeGracePeriod` for statements still running;
 * 5. `onClosed`, for the framework's own close (Fastify's `app.close()` runs its `onClose` hooks).
 *
 * @example
 * import { shutdownOnSignal } from 'leakproof/http';
 * const server = app.listen(3000);           // or http.createServer(...), app.server, serve(...)
 * shutdownOnSignal(server, dbs, { deadline: 10_000 });
 *
 * @module
 */
import { ServerResponse } from 'node:http';
import type { Http2Session } from 'node:http2';
import type { Server } from 'node:net';
import type { Databases } from '../../core/databases.js';
import { liveRequests, type LiveRequests } from './live-requests.js';

/** A listening `node:http`, `node:https` or `node:http2` server. */
export type ShutdownServer = Server & {
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
};

export interface GracefulShutdownOptions {
  /** How long requests in flight may take to finish, in ms, before they are ended as `shutdown`. Default 10000. */
  readonly deadline?: number;
  /** How long `dbs.close()` then waits for statements still running before destroying their connections, in ms. Default 2000. */
  readonly closeGracePeriod?: number;
  /**
   * Runs last, after the pools are closed: the framework's own close, so its hooks run too,
   * e.g. `onClosed: () => app.close()` for Fastify. Its rejection rejects the shutdown.
   */
  readonly onClosed?: () => unknown;
}

export interface ShutdownResult {
  /** Requests still running at the deadline, ended as `shutdown`. */
  readonly aborted: number;
  /** From the call until the pools were closed, in ms. */
  readonly elapsedMs: number;
}

const DEFAULT_DEADLINE_MS = 10_000;
const DEFAULT_CLOSE_GRACE_MS = 2000;
/** How often connections that turned idle are closed while requests finish. */
const SWEEP_MS = 25;
/** How long cut-off connections get to report their close before the pools are closed anyway. */
const CLOSE_WAIT_MS = 1000;

/**
 * Shuts `server` and `dbs` down now (see the module comment); resolves once the pools are
 * closed, in at most about `deadline + closeGracePeriod + 1 s`. Safe to call once per server.
 *
 * @example
 * const { aborted } = await gracefulShutdown(server, dbs, { deadline: 5000 });
 */
export async function gracefulShutdown(
  server: ShutdownServer,
  dbs: Databases,
  options: GracefulShutdownOptions = {},
): Promise<ShutdownResult> {
  return shutdown(server, dbs, options, new Set());
}

async function shutdown(
  server: ShutdownServer,
  dbs: Databases,
  options: GracefulShutdownOptions,
  sessions: Set<Http2Session>,
): Promise<ShutdownResult> {
  const started = Date.now();
  const live = liveRequests(dbs);
  const closed = closeServer(server);
  const stopDraining = drain(server, live, sessions);
  try {
    await untilDrained(server, live, closed, options.deadline ?? DEFAULT_DEADLINE_MS);
  } finally {
    stopDraining();
  }
  const aborted = live.size;
  for (const request of live.snapshot()) request.shutdown();
  server.closeAllConnections?.();
  for (const session of sessionsOf(live, sessions)) session.destroy();
  await Promise.race([closed.promise, sleep(CLOSE_WAIT_MS)]);
  await dbs.close({ gracePeriod: options.closeGracePeriod ?? DEFAULT_CLOSE_GRACE_MS });
  const elapsedMs = Date.now() - started;
  await options.onClosed?.();
  return { aborted, elapsedMs };
}

export interface ShutdownOnSignalOptions extends GracefulShutdownOptions {
  /** Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * After the shutdown, raise the signal again with leakproof's listeners removed, so the
   * process ends the way that signal ends it (exit status 128 + n) even if something else
   * still holds the event loop. Default true; false leaves exiting to you.
   */
  readonly exit?: boolean;
}

export interface SignalShutdown {
  /** Settles when a signal's shutdown is done. */
  readonly done: Promise<ShutdownResult & { readonly signal: NodeJS.Signals }>;
  /** Removes the signal listeners without shutting down. */
  remove(): void;
}

/**
 * Shuts `server` and `dbs` down gracefully on the first of `signals`. The listeners are
 * removed as soon as one fires, so a second Ctrl-C ends the process at once. HTTP/2 sessions
 * opened from now on are tracked, so their GOAWAY can be sent at shutdown.
 *
 * @example
 * const server = http.createServer(withDatabases(dbs, handler)).listen(3000);
 * shutdownOnSignal(server, dbs, { deadline: 10_000 });
 */
export function shutdownOnSignal(server: ShutdownServer, dbs: Databases, options: ShutdownOnSignalOptions = {}): SignalShutdown {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const sessions = trackSessions(server);
  let settle!: (outcome: Promise<ShutdownResult & { signal: NodeJS.Signals }>) => void;
  const done = new Promise<ShutdownResult & { signal: NodeJS.Signals }>((resolve) => (settle = resolve));
  // A failed shutdown must not become an unhandled rejection when nobody awaits `done`.
  done.catch(() => undefined);
  const onSignal = (signal: NodeJS.Signals): void => {
    remove();
    const outcome = shutdown(server, dbs, options, sessions.open).then((result) => ({ ...result, signal }));
    settle(outcome);
    if (options.exit ?? true) void outcome.catch(() => undefined).then(() => process.kill(process.pid, signal));
  };
  // One listener per signal that knows its name: `process.emit(signal)` passes none.
  const listeners = signals.map((signal) => [signal, () => onSignal(signal)] as const);
  const remove = (): void => {
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
    sessions.stop();
  };
  for (const [signal, listener] of listeners) process.on(signal, listener);
  return { done, remove };
}

interface Closed {
  readonly promise: Promise<void>;
  readonly done: () => boolean;
}

/** `server.close()`, as a promise that also resolves if the server was not listening. */
function closeServer(server: ShutdownServer): Closed {
  let finished = false;
  const promise = new Promise<void>((resolve) => {
    server.close(() => {
      finished = true;
      resolve();
    });
  });
  return { promise, done: () => finished };
}

/** Until the deadline: closes connections as they turn idle and tells clients to go. */
function drain(server: ShutdownServer, live: LiveRequests, sessions: Set<Http2Session>): () => void {
  const askToClose = (_req: unknown, res: unknown): void => {
    if (res instanceof ServerResponse && !res.headersSent) res.setHeader('connection', 'close');
  };
  for (const request of live.snapshot()) askToClose(undefined, request.response);
  server.on('request', askToClose);
  const sweep = (): void => {
    server.closeIdleConnections?.();
    for (const session of sessionsOf(live, sessions)) if (!session.closed) session.close();
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    server.removeListener('request', askToClose);
  };
}

/**
 * Resolves when every connection has closed or the deadline has passed. An HTTP/2 server has
 * no list of its idle sessions, so there the end of the last live request counts as drained.
 */
async function untilDrained(server: ShutdownServer, live: LiveRequests, closed: Closed, deadline: number): Promise<void> {
  const until = Date.now() + deadline;
  const http2 = typeof server.closeIdleConnections !== 'function';
  while (!closed.done() && Date.now() < until && !(http2 && live.size === 0)) {
    await Promise.race([closed.promise, sleep(Math.min(SWEEP_MS, Math.max(0, until - Date.now())))]);
  }
}

/** The HTTP/2 sessions known: tracked ones and those of live requests. */
function sessionsOf(live: LiveRequests, tracked: Set<Http2Session>): Set<Http2Session> {
  const sessions = new Set(tracked);
  for (const request of live.snapshot()) {
    const session = (request.response as { stream?: { session?: Http2Session } } | undefined)?.stream?.session;
    if (session !== undefined) sessions.add(session);
  }
  return sessions;
}

function trackSessions(server: ShutdownServer): { open: Set<Http2Session>; stop(): void } {
  const open = new Set<Http2Session>();
  const onSession = (session: Http2Session): void => {
    open.add(session);
    session.once('close', () => open.delete(session));
  };
  server.on('session', onSession);
  return { open, stop: () => server.removeListener('session', onSession) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
