/**
 * A keep-alive connection shed with QUEUE_FULL is not read for the Retry-After it was sent
 * (leakproof/http's `holdOffShed`, on by default), so a client that retries at once costs the
 * server nothing until then. Checked by order, not by time: the shed client's immediate retry
 * is read only after the pool has room again (it is answered 200, and after a request that a
 * second client sent later on a connection of its own), while without the hold-off the same
 * retry is read at once and shed again. The database never holds more than the one session.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { it } from 'node:test';
import type { Databases } from '../src/index.js';
import { httpGet } from './harness/faults.js';
import { forEachEngine, type EngineContext } from './support/engines.js';
import { eventually, serve, type Served } from './support/serve.js';

const RETRY_AFTER_MS = 3000;

forEachEngine('holding off a shed connection', ['mariadb', 'postgres'], (engine) => {
  it('the shed client asks again at once on the same connection: read after the pool has room, answered 200, after a later client', async () => {
    const setup = await start(engine(), true);
    const first = await setup.client.get('/first');
    assert.equal(first.status, 503);
    assert.equal(first.headers['retry-after'], String(RETRY_AFTER_MS / 1000));
    const again = setup.client.get('/again');
    setup.open();
    assert.equal((await setup.holding).status, 200);
    assert.equal((await httpGet(setup.served.port, '/later')).status, 200);
    const retried = await again;
    assert.equal(retried.reused, true, 'the retry went out on the shed connection');
    assert.equal(retried.status, 200);
    assert.deepEqual(setup.seen, ['/hold', '/first', '/later', '/again']);
    await finish(setup, engine());
  });

  it('holdOffShed: false: the same retry is read at once and shed again', async () => {
    const setup = await start(engine(), false);
    assert.equal((await setup.client.get('/first')).status, 503);
    const retried = await setup.client.get('/again');
    assert.equal(retried.reused, true);
    assert.equal(retried.status, 503);
    setup.open();
    assert.equal((await setup.holding).status, 200);
    assert.deepEqual(setup.seen, ['/hold', '/first', '/again']);
    await finish(setup, engine());
  });
});

interface Setup {
  readonly dbs: Databases;
  readonly served: Served;
  readonly client: KeepAliveClient;
  /** Paths in the order the handler saw them. */
  readonly seen: string[];
  /** `/hold`, which keeps the pool's only connection until `open()`. */
  readonly holding: Promise<{ status: number }>;
  readonly peak: () => number;
  open(): void;
}

/** A pool of one, no waiting room: `/hold` takes the connection, the next request is shed. */
async function start(engine: EngineContext, holdOffShed: boolean): Promise<Setup> {
  const dbs = engine.databases({
    default: { url: engine.url, ...engine.aliasOptions, maxConnections: 1, maxWaiting: 0, retryAfter: RETRY_AFTER_MS },
  });
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const seen: string[] = [];
  let peak = 0;
  const served = await serve(
    dbs,
    async (req, res) => {
      seen.push(req.url ?? '');
      await dbs.get().query('SELECT 1');
      peak = Math.max(peak, await engine.count());
      if (req.url === '/hold') await gate;
      res.end('ok');
    },
    { holdOffShed },
  );
  const holding = httpGet(served.port, '/hold');
  assert.ok(await eventually(() => dbs.stats()['default']!.inUse === 1 && seen.includes('/hold')), 'the pool never lent its connection');
  return { dbs, served, client: keepAliveClient(served.port), seen, holding, peak: () => peak, open };
}

async function finish(setup: Setup, engine: EngineContext): Promise<void> {
  assert.ok(setup.peak() <= 1, `the server held ${setup.peak()} sessions for a pool of 1`);
  setup.client.close();
  await setup.served.close();
  await setup.dbs.close();
  assert.equal(await engine.waitForCount(0), 0);
}

interface KeepAliveClient {
  get(path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; reused: boolean }>;
  close(): void;
}

/** One keep-alive connection, reused for every request (an agent with a single socket). */
function keepAliveClient(port: number): KeepAliveClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, reused: request.reusedSocket }));
          response.on('error', reject);
        });
        request.setTimeout(15_000, () => request.destroy(new Error(`GET ${path}: no answer within 15 s`)));
        request.on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}
