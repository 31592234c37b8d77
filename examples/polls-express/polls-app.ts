/**
 * The polls API on Express 5 and `leakproof/express` (the same routes as examples/polls):
 *
 *   GET  /polls               the questions
 *   GET  /polls/:id           one question with its choices
 *   POST /polls/:id/vote      {"choice": <id>}: one vote, in a transaction
 *   GET  /polls/:id/slow      the results, streamed in steps with a query each
 *   GET  /metrics             the pool in Prometheus text format
 *
 * In your app, import from 'leakproof' and 'leakproof/express'; this example imports the
 * sources so it runs from a fresh clone.
 *
 * @module
 */
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Databases } from '../../src/index.js';
import { leakproof, leakproofErrorHandler } from '../../src/adapters/express.js';
import { HttpError } from '../polls/http-error.js';
import { renderMetrics } from '../polls/metrics.js';
import { PollStore, type Polls } from '../polls/poll-store.js';
import { questionId } from '../polls/question-id.js';
import { choiceFrom } from '../polls/read-body.js';
import { slowResults } from '../polls/slow-results.js';

/** The app on `dbs`; `store` runs the queries (raw SQL unless given: polls-drizzle passes Drizzle's). */
export function buildPollsApp(dbs: Databases, store: Polls = new PollStore(dbs)): Express {
  const app = express();
  app.use(leakproof(dbs));
  app.use(express.json());
  app.get('/polls', async (_req, res) => void res.json(await store.questions()));
  app.get('/polls/:id', async (req, res) => void res.json(await store.detail(questionId(req.params.id))));
  app.post('/polls/:id/vote', async (req, res) => {
    const id = questionId(req.params.id);
    await store.question(id);
    await store.vote(id, choiceFrom(req.body));
    res.json(await store.detail(id));
  });
  app.get('/polls/:id/slow', async (req, res) => {
    const id = questionId(req.params.id);
    await store.question(id);
    res.type('application/x-ndjson');
    for await (const line of slowResults(store, id)) res.write(line);
    res.end();
  });
  app.get('/metrics', (_req, res) => void res.type('text/plain; version=0.0.4').send(renderMetrics(dbs.stats())));
  app.use(httpErrors);
  // leakproof's 503s (budget, timeout) as JSON with Retry-After; the rest to Express's handler.
  app.use(leakproofErrorHandler());
  return app;
}

const httpErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (error instanceof HttpError && !res.headersSent) res.status(error.status).json({ error: error.message });
  else next(error);
};
