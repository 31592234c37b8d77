/**
 * The polls API on Fastify 5 and `leakproof/fastify` (the same routes as examples/polls):
 *
 *   GET  /polls               the questions
 *   GET  /polls/:id           one question with its choices
 *   POST /polls/:id/vote      {"choice": <id>}: one vote, in a transaction
 *   GET  /polls/:id/slow      the results, streamed in steps with a query each
 *   GET  /metrics             the pool in Prometheus text format
 *
 * In your app, import from 'leakproof' and 'leakproof/fastify'; this example imports the
 * sources so it runs from a fresh clone.
 *
 * @module
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Databases } from '../../src/index.js';
import leakproof from '../../src/adapters/fastify.js';
import { HttpError } from '../polls/http-error.js';
import { renderMetrics } from '../polls/metrics.js';
import { PollStore, type Polls } from '../polls/poll-store.js';
import { questionId } from '../polls/question-id.js';
import { choiceFrom } from '../polls/read-body.js';
import { slowResults } from '../polls/slow-results.js';

type IdParams = { Params: { id: string } };

/** The app on `dbs`; `store` runs the queries (raw SQL unless given: polls-kysely passes Kysely's). */
export async function buildPollsApp(dbs: Databases, store: Polls = new PollStore(dbs)): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  // The app owns dbs beyond the instance: the shutdown helper closes them.
  await app.register(leakproof, { databases: dbs, closeDatabases: false });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send({ error: error.message });
    // Fastify's own handler: leakproof's budget errors become 503 with Retry-After.
    return reply.send(error);
  });
  app.get('/polls', async () => store.questions());
  app.get<IdParams>('/polls/:id', async (request) => store.detail(questionId(request.params.id)));
  app.post<IdParams>('/polls/:id/vote', async (request) => {
    const id = questionId(request.params.id);
    await store.question(id);
    await store.vote(id, choiceFrom(request.body));
    return store.detail(id);
  });
  app.get<IdParams>('/polls/:id/slow', async (request, reply) => {
    const id = questionId(request.params.id);
    await store.question(id);
    // Written line by line on the raw response; leakproof watches its end all the same.
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for await (const line of slowResults(store, id)) reply.raw.write(line);
    reply.raw.end();
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(renderMetrics(dbs.stats())));
  return app;
}
