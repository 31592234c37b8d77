/**
 * A tiny polls API on `node:http` and `leakproof/http`:
 *
 *   GET  /polls              the questions
 *   GET  /polls/:id          one question with its choices
 *   POST /polls/:id/vote     {"choice": <id>}: one vote, in a transaction
 *   GET  /polls/:id/slow     the results, streamed in steps with a query each (slow on purpose)
 *   POST /polls/:id/slow     a vote, then the streamed results
 *   GET  /metrics            the pool in Prometheus text format (what `leakproof probe` reads)
 *
 * In your app, import from 'leakproof' and 'leakproof/http'; this example imports the
 * sources so it runs from a fresh clone.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LeakproofError, type Databases } from '../../src/index.js';
import { withDatabases } from '../../src/adapters/http.js';
import { HttpError } from './http-error.js';
import { renderMetrics } from './metrics.js';
import { PollStore } from './poll-store.js';
import { choiceFrom, readJsonBody } from './read-body.js';
import { slowResults } from './slow-results.js';

export { SLOW_STEPS, SLOW_STEP_MS } from './slow-results.js';

const ENDPOINTS = ['GET /polls', 'GET /polls/:id', 'POST /polls/:id/vote {"choice": id}', 'GET|POST /polls/:id/slow', 'GET /metrics'];

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The app's request handler, for `http.createServer`. */
export function createPollsHandler(dbs: Databases): Handler {
  const store = new PollStore(dbs);
  const app = withDatabases(dbs, (req: IncomingMessage, res: ServerResponse) => route(store, req, res), { onError: logUnlessClientLeft });
  return (req, res) => {
    // Outside withDatabases: reading the pool's numbers must not take a connection from it.
    if (req.url === '/metrics') sendMetrics(dbs, res);
    else app(req, res);
  };
}

async function route(store: PollStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
  const [, polls, rawId, action, extra] = path.split('/');
  const id = Number(rawId);
  try {
    if (path === '') return sendJson(res, 200, { endpoints: ENDPOINTS });
    if (polls !== 'polls' || extra !== undefined || (rawId !== undefined && !(Number.isInteger(id) && id > 0)))
      throw new HttpError(404, `no route ${path || '/'}`);
    if (rawId === undefined) return sendJson(res, 200, await only(req, 'GET', () => store.questions()));
    if (action === undefined) return sendJson(res, 200, await only(req, 'GET', () => store.detail(id)));
    if (action === 'vote') return sendJson(res, 200, await only(req, 'POST', () => vote(store, id, req)));
    if (action === 'slow') return await slow(store, id, req, res);
    throw new HttpError(404, `no route ${path}`);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    sendJson(res, error.status, { error: error.message });
  }
}

async function only<T>(req: IncomingMessage, method: string, answer: () => Promise<T>): Promise<T> {
  if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) throw new HttpError(405, `use ${method}`);
  return answer();
}

async function vote(store: PollStore, id: number, req: IncomingMessage): Promise<object> {
  await store.question(id);
  await store.vote(id, choiceFrom(await readJsonBody(req)));
  return store.detail(id);
}

/**
 * Slow on purpose, to give clients time to leave at every stage: the connection is leased
 * before the body is read (a client that stops uploading leaves a request holding one), and
 * each streamed line runs a query (a client that stops reading leaves mid-stream).
 */
async function slow(store: PollStore, id: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') throw new HttpError(405, 'use GET or POST');
  await store.question(id);
  if (req.method === 'POST') await store.vote(id, choiceFrom(await readJsonBody(req)));
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for await (const line of slowResults(store, id)) res.write(line);
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendMetrics(dbs: Databases, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  res.end(renderMetrics(dbs.stats()));
}

/**
 * Errors after the client left (a query refused with REQUEST_ENDED, an aborted upload or
 * delay) are the expected end of an abandoned request, not news; anything else is logged.
 */
function logUnlessClientLeft(error: unknown, req: IncomingMessage, res: ServerResponse): void {
  if (req.destroyed || res.destroyed) return;
  if (error instanceof LeakproofError && error.httpStatus === 503) return;
  console.error(`polls: ${req.method} ${req.url} failed:`, error);
}
