/**
 * One HTTP server variant, as a child of bench/run.ts, so it has a core to itself apart from
 * the load generator's.
 *
 *   argv: <variant name> <VariantSettings as JSON> [processes]
 *
 * IPC: sends `listening` with the port; answers `snapshot` with its CPU time and the requests
 * it has received (the parent takes one when measuring starts and one when it ends, so CPU per
 * request is computed from the server's own counts); `stop` closes the pool and exits.
 *
 * With `processes` > 1 this process is a node:cluster primary: it forks that many workers, each
 * with the variant's own pool (each process has its own budget, as in production), all on one
 * port, and answers `snapshot` with the sum over the workers and itself (the primary accepts the
 * connections and hands them to the workers round-robin, Node's default on Linux: its CPU is part
 * of what the server costs).
 *
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitWithParent, sendToParent, type Message } from './child.js';
import { createVariant, isVariantName } from './http-variants.js';
import type { VariantSettings } from './variant.js';

interface Snapshot extends Message {
  readonly cpuUs: number;
  readonly received: number;
  readonly at: number;
}

const WORKER_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  exitWithParent();
  const processes = Number(process.argv[4] ?? 1);
  if (processes > 1 && cluster.isPrimary) await serveThroughWorkers(processes);
  else await serve();
}

/** The variant's server in this process (a single process, or one cluster worker). */
async function serve(): Promise<void> {
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
  // In a cluster worker, listen(0) gets the port the primary chose for the first worker.
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));

  process.on('message', (message: Message) => {
    if (message.type === 'snapshot') {
      void sendToParent(snapshot(received));
    } else if (message.type === 'stop') {
      void stop(server, () => variant.close());
    }
  });
  await sendToParent({ type: 'listening', port: (server.address() as AddressInfo).port });
}

function snapshot(received: number): Snapshot {
  const cpu = process.cpuUsage();
  return { type: 'snapshot', cpuUs: cpu.user + cpu.system, received, at: performance.now() };
}

async function serveThroughWorkers(processes: number): Promise<void> {
  const workers = Array.from({ length: processes }, () => cluster.fork());
  const ports = await Promise.all(workers.map((worker) => fromWorker<Message & { port: number }>(worker, 'listening')));
  process.on('message', (message: Message) => {
    if (message.type === 'snapshot') void sumOf(workers).then(sendToParent);
    else if (message.type === 'stop') void stopWorkers(workers);
  });
  await sendToParent({ type: 'listening', port: ports[0]!.port });
}

async function sumOf(workers: readonly Worker[]): Promise<Snapshot> {
  const replies = await Promise.all(
    workers.map((worker) => {
      const reply = fromWorker<Snapshot>(worker, 'snapshot');
      worker.send({ type: 'snapshot' });
      return reply;
    }),
  );
  const own = snapshot(0);
  return {
    ...own,
    cpuUs: replies.reduce((sum, reply) => sum + reply.cpuUs, own.cpuUs),
    received: replies.reduce((sum, reply) => sum + reply.received, 0),
  };
}

function fromWorker<T extends Message>(worker: Worker, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${type}" from worker ${worker.id} within ${WORKER_TIMEOUT_MS} ms`)),
      WORKER_TIMEOUT_MS,
    );
    const onMessage = (message: Message): void => {
      if (message?.type !== type) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(message as T);
    };
    worker.on('message', onMessage);
  });
}

async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  await Promise.all(
    workers.map((worker) => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.send({ type: 'stop' });
      return exited;
    }),
  );
  process.exit(0);
}

async function stop(server: http.Server, closePool: () => Promise<void>): Promise<void> {
  server.closeAllConnections();
  server.close();
  await closePool().catch((error: unknown) => console.error('closing the pool failed:', error));
  // process.exit (not a signal) so that --cpu-prof writes its profile.
  process.exit(0);
}

await main();
