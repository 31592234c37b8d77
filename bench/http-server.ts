/**
 * One HTTP server variant, as a child of bench/run.ts, so it has a core to itself apart from
 * the load generator's.
 *
 *   argv: <variant name> <VariantSettings as JSON>
 *
 * IPC: sends `listening` with the port; answers `snapshot` with its CPU time and the requests
 * it has received (the parent takes one when measuring starts and one when it ends, so CPU per
 * request is computed from the server's own counts); `stop` closes the pool and exits.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitWithParent, sendToParent, type Message } from './child.js';
import { createVariant, isVariantName } from './http-variants.js';
import type { VariantSettings } from './variant.js';

async function main(): Promise<void> {
  exitWithParent();
  const name = process.argv[2] ?? '';
  if (!isVariantName(name)) throw new Error(`unknown variant "${name}"`);
  const variant = await createVariant(name, JSON.parse(process.argv[3] ?? '{}') as VariantSettings);
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    variant.handle(req, res);
  });
  // Clients stay connected across warm-up and measurement; never let the server drop them.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));

  process.on('message', (message: Message) => {
    if (message.type === 'snapshot') {
      const cpu = process.cpuUsage();
      void sendToParent({ type: 'snapshot', cpuUs: cpu.user + cpu.system, received, at: performance.now() });
    } else if (message.type === 'stop') {
      void stop(server, () => variant.close());
    }
  });
  await sendToParent({ type: 'listening', port: (server.address() as AddressInfo).port });
}

async function stop(server: http.Server, closePool: () => Promise<void>): Promise<void> {
  server.closeAllConnections();
  server.close();
  await closePool().catch((error: unknown) => console.error('closing the pool failed:', error));
  // process.exit (not a signal) so that --cpu-prof writes its profile.
  process.exit(0);
}

await main();
