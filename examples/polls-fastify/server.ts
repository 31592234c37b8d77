/**
 * Runs the Fastify polls app: `node --import tsx examples/polls-fastify/server.ts`
 * (SQLite in ./polls.sqlite3 unless DATABASE_URL; PORT, default 3000). SIGTERM or Ctrl-C shuts
 * it down gracefully.
 *
 * @module
 */
import { maskUrl } from '../../src/probe/index.js';
import { shutdownOnSignal } from '../../src/adapters/http.js';
import { openPollsDatabases, pollsDatabaseUrl } from '../polls/polls-databases.js';
import { buildPollsApp } from './polls-app.js';

const databaseUrl = pollsDatabaseUrl();
const dbs = await openPollsDatabases(databaseUrl);
const app = await buildPollsApp(dbs);
const host = process.env['HOST'] ?? '127.0.0.1';
await app.listen({ port: Number(process.env['PORT'] ?? 3000), host });
shutdownOnSignal(app.server, dbs, { deadline: 5000, onClosed: () => app.close() });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
console.log(`polls (fastify): http://${host}:${port}/polls (database ${maskUrl(databaseUrl)})`);
