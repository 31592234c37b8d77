/**
 * The polls API on Hono and `leakproof/hono`, served by `@hono/node-server` (the same routes
 * as examples/polls):
 *
 *   GET  /polls               the questions
 *   GET  /polls/:id           one question with its choices
 *   POST /polls/:id/vote      {"choice": <id>}: one vote, in a transaction
 *   GET  /polls/:id/slow      the results, streamed in steps with a query each
 *   GET  /metrics             the pool in Prometheus text format
 *
 * In your app, import from 'leakproof' and 'leakproof/hono'; this example imports the sources
 * so it runs from a fresh clone.
 *
 * @module
 */
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { LeakproofError, type Databases } from '../../src/index.js';
import { leakproof } from '../../src/adapters/hono.js';
import { HttpError } from '../polls/http-error.js';
import { renderMetrics } from '../polls/metrics.js';
import { PollStore } from '../polls/poll-store.js';
import { questionId } from '../polls/question-id.js';
import { choiceFrom } from '../polls/read-body.js';
import { slowResults } from '../polls/slow-results.js';

export function buildPollsApp(dbs: Databases): Hono {
  const store = new PollStore(dbs);
  const app = new Hono();
  app.use(leakproof(dbs));
  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ error: error.message }, error.status as 400);
    // leakproof's errors answer like HTTPException: 503 with Retry-After for budget errors.
    if (error instanceof LeakproofError) return error.getResponse();
    console.error('polls (hono):', error);
    return c.json({ error: 'internal error' }, 500);
  });
  app.get('/polls', async (c) => c.json(await store.questions()));
  app.get('/polls/:id', async (c) => c.json(await store.detail(questionId(c.req.param('id')))));
  app.post('/polls/:id/vote', async (c) => {
    const id = questionId(c.req.param('id'));
    await store.question(id);
    await store.vote(id, choiceFrom(await c.req.json().catch(() => undefined)));
    return c.json(await store.detail(id));
  });
  app.get('/polls/:id/slow', async (c) => {
    const id = questionId(c.req.param('id'));
    await store.question(id);
    c.header('content-type', 'application/x-ndjson');
    return stream(
      c,
      async (out) => {
        for await (const line of slowResults(store, id)) await out.write(line);
      },
      async () => {},
    );
  });
  app.get('/metrics', (c) => c.text(renderMetrics(dbs.stats()), 200, { 'content-type': 'text/plain; version=0.0.4' }));
  return app;
}
