import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Databases } from '../../src/index.js';
import { createPollsHandler } from './polls-app.js';
import { openPollsDatabases } from './polls-databases.js';

export interface PollsServerOptions {
  /** Any leakproof URL: `sqlite:./polls.sqlite3`, `mysql://…`, `postgres://…`. */
  readonly databaseUrl: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
}

export interface PollsServer {
  readonly port: number;
  readonly dbs: Databases;
  /** Stops accepting, cuts open sockets (their requests release as they end), closes the pool. */
  close(): Promise<void>;
}

/** Creates the schema if needed, then serves the polls API. */
export async function startPollsServer(options: PollsServerOptions): Promise<PollsServer> {
  const dbs = await openPollsDatabases(options.databaseUrl);
  const server = http.createServer(createPollsHandler(dbs));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await dbs.close();
  };
  return { port: (server.address() as AddressInfo).port, dbs, close };
}
