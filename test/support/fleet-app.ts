/**
 * One process of a fleet (test/fleet-budget.test.ts): `fleet-app.ts <url> <maxConnections>`
 * serves GET /work (a 0.2 s statement) and GET /stats (the pool's stats and the warnings it
 * emitted) on a free port, printed as the first line on stdout. The URL comes in through the
 * environment (FLEET_DB_URL), never the command line, so no password shows in `ps`.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatabases } from '../../src/index.js';
import { withDatabases } from '../../src/adapters/http.js';

const url = process.env['FLEET_DB_URL']!;
const maxConnections = Number(process.argv[2]);
const sleepSql = url.startsWith('postgres') ? 'SELECT pg_sleep(0.2)' : 'SELECT SLEEP(0.2)';
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push((warning as Error & { code?: string }).code ?? warning.name));
const dbs = createDatabases({ default: { url, maxConnections, acquireTimeout: 3000, retryAfter: 1000 } });
const server = http.createServer(
  withDatabases(
    dbs,
    async (req, res) => {
      if (req.url === '/stats') return void res.end(JSON.stringify({ stats: dbs.stats().default, warnings }));
      await dbs.get().query(sleepSql);
      res.end('ok');
    },
    { logger: false },
  ),
);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => {
  server.close();
  void dbs.close().then(() => process.exit(0));
});
