import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Databases } from '../../src/index.js';
import { withDatabases, type WithDatabasesOptions } from '../../src/adapters/http.js';
import { trackForCleanup } from './cleanup.js';

export interface Served {
  readonly server: http.Server;
  readonly port: number;
  /** Closes the server, cutting open connections, and waits for it. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Serves `handler` through `withDatabases` on a free loopback port. */
export async function serve(dbs: Databases, handler: Handler, options: WithDatabasesOptions = {}): Promise<Served> {
  const server = http.createServer(withDatabases(dbs, handler, { onError: () => {}, logger: false, ...options }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  trackForCleanup(close);
  return { server, port, close };
}

/** Resolves after `ms`. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes; returns the last answer. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await delay(20);
  }
}
