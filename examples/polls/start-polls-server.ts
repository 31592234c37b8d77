import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatabases, type Databases } from '../../src/index.js';
import { createPollsHandler } from './polls-app.js';
import { prepareSchema } from './schema.js';

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
  await prepareSchema(options.databaseUrl);
  const dbs = createDatabases({
    default: {
      url: options.databaseUrl,
      maxConnections: 10,
      // Short, so the pool is empty a second after the load stops: at rest the app holds no
      // connection, and anything the probe still counts then is a leak.
      idleTimeout: 1000,
    },
  });
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
