/**
 * Runs the polls API on Express with Drizzle over leakproof: `DATABASE_URL=mariadb://… node
 * --import tsx examples/polls-drizzle/server.ts` (MySQL or MariaDB: the schema is Drizzle's
 * mysql-core; PORT, default 3000). The routes are examples/polls-express's; the queries are
 * Drizzle's (drizzle-poll-store.ts). SIGTERM or Ctrl-C shuts it down gracefully.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { maskUrl } from '../../src/probe/index.js';
import { shutdownOnSignal } from '../../src/adapters/http.js';
import { openPollsDatabases } from '../polls/polls-databases.js';
import { buildPollsApp } from '../polls-express/polls-app.js';
import { DrizzlePollStore } from './drizzle-poll-store.js';

const databaseUrl = process.env['DATABASE_URL'];
if (databaseUrl === undefined || !/^(mysql|mariadb):/.test(databaseUrl)) {
  console.error('polls-drizzle runs on MySQL or MariaDB: set DATABASE_URL=mariadb://user:password@host:3306/db');
  process.exit(2);
}
const dbs = await openPollsDatabases(databaseUrl);
const host = process.env['HOST'] ?? '127.0.0.1';
const server = buildPollsApp(dbs, new DrizzlePollStore(dbs)).listen(Number(process.env['PORT'] ?? 3000), host);
await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
shutdownOnSignal(server, dbs, { deadline: 5000 });
console.log(`polls (express + drizzle): http://${host}:${(server.address() as AddressInfo).port}/polls (database ${maskUrl(databaseUrl)})`);
