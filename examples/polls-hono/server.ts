/**
 * Runs the Hono polls app: `node --import tsx examples/polls-hono/server.ts`
 * (SQLite in ./polls.sqlite3 unless DATABASE_URL; PORT, default 3000). SIGTERM or Ctrl-C shuts
 * it down gracefully.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { maskUrl } from '../../src/probe/index.js';
import { shutdownOnSignal } from '../../src/adapters/http.js';
import { openPollsDatabases, pollsDatabaseUrl } from '../polls/polls-databases.js';
import { buildPollsApp } from './polls-app.js';

const databaseUrl = pollsDatabaseUrl();
const dbs = await openPollsDatabases(databaseUrl);
const host = process.env['HOST'] ?? '127.0.0.1';
const app = buildPollsApp(dbs);
const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const started = serve({ fetch: app.fetch, port: Number(process.env['PORT'] ?? 3000), hostname: host }, () => resolve(started));
});
shutdownOnSignal(server, dbs, { deadline: 5000 });
console.log(`polls (hono): http://${host}:${(server.address() as AddressInfo).port}/polls (database ${maskUrl(databaseUrl)})`);
