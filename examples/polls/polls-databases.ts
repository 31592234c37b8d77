/**
 * The databases every polls app (node:http, Fastify, Express, Hono) runs on: the schema created
 * and seeded if needed, then a pool that holds nothing at rest.
 *
 * @module
 */
import { createDatabases, type Databases } from '../../src/index.js';
import { prepareSchema } from './schema.js';

/** `DATABASE_URL`, else SQLite in `POLLS_SQLITE_FILE` (default `./polls.sqlite3`). */
export function pollsDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env['DATABASE_URL'] ?? `sqlite:${env['POLLS_SQLITE_FILE'] ?? './polls.sqlite3'}`;
}

/** Prepares the schema on `databaseUrl`, then opens the app's databases. */
export async function openPollsDatabases(databaseUrl: string): Promise<Databases> {
  await prepareSchema(databaseUrl);
  return createDatabases({
    default: {
      url: databaseUrl,
      maxConnections: 10,
      // Short, so the pool is empty a second after the load stops: at rest the app holds no
      // connection, and anything the probe still counts then is a leak.
      idleTimeout: 1000,
    },
  });
}
