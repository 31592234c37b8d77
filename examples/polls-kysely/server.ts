/**
 * Runs the polls API on Fastify with Kysely over leakproof: `node --import tsx
 * examples/polls-kysely/server.ts` (SQLite in ./polls.sqlite3 unless DATABASE_URL, any engine;
 * PORT, default 3000). The routes are examples/polls-fastify's; the queries are Kysely's
 * (kysely-poll-store.ts). SIGTERM or Ctrl-C shuts it down gracefully.
 *
 * @module
 */
import { maskUrl } from '../../src/probe/index.js';
import { shutdownOnSignal } from '../../src/adapters/http.js';
import { openPollsDatabases, pollsDatabaseUrl } from '../polls/polls-databases.js';
import { buildPollsApp } from '../polls-fastify/polls-app.js';
import { KyselyPollStore } from './kysely-poll-store.js';

const databaseUrl = pollsDatabaseUrl();
const dbs = await openPollsDatabases(databaseUrl);
const app = await buildPollsApp(dbs, new KyselyPollStore(dbs));
const host = process.env['HOST'] ?? '127.0.0.1';
await app.listen({ port: Number(process.env['PORT'] ?? 3000), host });
shutdownOnSignal(app.server, dbs, { deadline: 5000, onClosed: () => app.close() });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
console.log(`polls (fastify + kysely): http://${host}:${port}/polls (database ${maskUrl(databaseUrl)})`);
