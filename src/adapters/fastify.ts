/**
 * leakproof for Fastify 5: a `fastify-plugin` plugin, so its hooks cover every route of the
 * instance it is registered on (and of the plugins registered after it).
 *
 * - Each request gets its scope in `onRequest`, watched for its end on `request.raw` /
 *   `reply.raw` by the detector every adapter shares. Fastify's own `onResponse`,
 *   `onRequestAbort` and `request.signal` are not used: the first misses client aborts, the
 *   other two fire on every POST once its body is read.
 * - Route handlers run inside the scope (each is wrapped in `onRoute`), and the scope is
 *   entered again before `preValidation`, after the body was parsed, so hooks registered after
 *   the plugin see it too.
 * - A handler that returns a promise is waited for: a `transactionPerRequest` transaction is
 *   committed before Fastify sends the payload (a failed COMMIT becomes the error answered) if
 *   the answer is a 2xx or 3xx, rolled back if the handler throws or set another status. A handler that returns no promise, and a request that
 *   never reached its handler (404, a hook answered), settle with the response, failed if an
 *   error went through Fastify's error handling.
 * - `reply.hijack()` changes nothing: the raw response's end is watched either way.
 * - Budget errors reach Fastify's error handler with `statusCode` 503 and a `retry-after`
 *   header on them, which the default handler sends; a custom handler decides for itself.
 *   Fastify's handler logs the error (with its detail) and would put its message in the body:
 *   an `onSend` hook replaces that message, wherever an answer carries it, with the generic one.
 * - The databases are closed in `onClose` unless `closeDatabases: false`.
 *
 * @example
 * import Fastify from 'fastify';
 * import { createDatabases } from 'leakproof';
 * import leakproof from 'leakproof/fastify';
 *
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * const db = dbs.get();
 * const app = Fastify();
 * await app.register(leakproof, { databases: dbs });
 * app.get('/polls', async () => db.query('SELECT id, question FROM poll'));
 * await app.listen({ port: 3000 });
 *
 * @module
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, RawServerBase, RouteOptions } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { Databases } from '../core/databases.js';
import { LeakproofError, publicMessage, UsageError, type ScopeError } from '../errors/errors.js';
import { RESOLVED } from '../core/resolved.js';
import { answerCommits, beginRequest, isPromiseLike, type RequestLifecycle } from './shared/end-of-request.js';
import { holdOffIfShed, holdsOffShed, type HoldOffOptions } from './shared/hold-off.js';
import { sendAnswer } from './shared/send-answer.js';

export interface LeakproofFastifyOptions extends HoldOffOptions {
  /** The databases whose scope each request gets. */
  readonly databases: Databases;
  /**
   * leakproof's own deadline per request in ms: when it passes, the scope ends as `timeout`
   * and the request is answered with a `REQUEST_TIMEOUT` error (503, `Retry-After: 1`)
   * through Fastify's error handler. 0 turns it off. Default 0.
   */
  readonly requestTimeout?: number;
  /** Close the databases when the Fastify instance closes. Default true; false if they outlive it. */
  readonly closeDatabases?: boolean;
}

interface RequestState {
  readonly lifecycle: RequestLifecycle;
  failed: boolean;
  /** The leakproof error that went through Fastify's error handling, if any. */
  error?: LeakproofError;
}

type AnyHandler = (this: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

const leakproofPlugin: FastifyPluginAsync<LeakproofFastifyOptions, RawServerBase> = async (fastify, options) => {
  const dbs = checkDatabases(options);
  // Keyed by the request object: no decoration, so no change to Fastify's request shape.
  const states = new WeakMap<object, RequestState>();

  fastify.addHook('onRequest', (request, reply, done) => {
    const lifecycle = beginRequest(dbs, request.raw, reply.raw, {
      requestTimeout: options.requestTimeout,
      onTimeout: (error) => answerTimeout(reply as FastifyReply, error),
    });
    const state: RequestState = { lifecycle, failed: false };
    lifecycle.settlesWithResponse(() => state.failed || !answerCommits(reply.raw.statusCode));
    states.set(request, state);
    lifecycle.scope.run(done);
  });
  // A body parser that resumes from stream events would have left the scope behind.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const state = states.get(request);
    if (state === undefined) done();
    else state.lifecycle.scope.run(done);
  });
  const holdOff = holdsOffShed(options);
  fastify.addHook('onError', (request, reply, error, done) => {
    const state = states.get(request);
    if (state !== undefined) state.failed = true;
    if (state !== undefined && error instanceof LeakproofError) state.error = error;
    if (holdOff) holdOffIfShed(error, request.raw, reply.raw);
    done();
  });
  // The detail is for the server's log (Fastify's handler logged it); the client gets the code and a generic message.
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    const error = states.get(request)?.error;
    done(null, error === undefined ? payload : withoutDetail(payload, error));
  });
  fastify.addHook('onRoute', (route) => {
    (route as RouteOptions).handler = wrapHandler(route.handler as AnyHandler, states);
  });
  if (options.closeDatabases ?? true) fastify.addHook('onClose', () => dbs.close());
};

/** The route's handler, run in its request's scope (a request without one runs as before). */
function wrapHandler(handler: AnyHandler, states: WeakMap<object, RequestState>): AnyHandler {
  return function leakproofHandler(this: unknown, request, reply) {
    const state = states.get(request);
    if (state === undefined) return handler.call(this, request, reply);
    return runHandler(state, () => handler.call(this, request, reply), reply);
  };
}

/**
 * Runs the handler in the request's scope. A promise is followed so the request's transaction
 * settles before Fastify sends what it resolves to; anything else is returned as it is, for
 * Fastify to handle as it would have.
 */
function runHandler(state: RequestState, handler: () => unknown, reply: FastifyReply): unknown {
  const result = state.lifecycle.scope.run(handler);
  if (result === reply || !isPromiseLike(result)) return result;
  state.lifecycle.awaitsHandler();
  return settleAfter(state.lifecycle, result, reply);
}

async function settleAfter(lifecycle: RequestLifecycle, result: PromiseLike<unknown>, reply: FastifyReply): Promise<unknown> {
  let value: unknown;
  try {
    value = await result;
  } catch (error) {
    await lifecycle.handlerSettled(true).catch(() => undefined);
    throw error;
  }
  // Committed only for a 2xx/3xx answer (`answerCommits`): `reply.code(400)` rolls back.
  // The shared resolved promise (no transaction to commit) is not awaited: one promise less per request.
  const settling = lifecycle.handlerSettled(!answerCommits(reply.statusCode));
  if (settling !== RESOLVED) await settling;
  return value;
}

/** `payload` with the error's message (as JSON writes it) replaced by the generic one. */
function withoutDetail(payload: unknown, error: LeakproofError): unknown {
  if (typeof payload !== 'string') return payload;
  const detail = JSON.stringify(error.message).slice(1, -1);
  return detail === '' ? payload : payload.split(detail).join(JSON.stringify(publicMessage(error.httpStatus)).slice(1, -1));
}

function answerTimeout(reply: FastifyReply, error: ScopeError): void {
  if (reply.sent || reply.raw.headersSent) sendAnswer(reply.raw, error.answer);
  else reply.send(error);
}

function checkDatabases(options: LeakproofFastifyOptions | undefined): Databases {
  const dbs = options?.databases;
  if (!(dbs instanceof Databases)) {
    throw new UsageError(
      'ADAPTER_MISUSED',
      'leakproof/fastify needs the databases: app.register(leakproof, { databases: createDatabases(...) })',
    );
  }
  return dbs;
}

/** The plugin: `app.register(leakproof, { databases: dbs })`. */
const leakproof = fastifyPlugin(leakproofPlugin, { fastify: '5.x', name: 'leakproof' });
export default leakproof;
export { leakproof };
