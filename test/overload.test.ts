/**
 * 10× overload (issue 12): 300 clients in a closed loop against a pool of 30 on a server that
 * allows 40. The server never refuses (the budget holds below its limit), every request is
 * answered 200 or 503 with Retry-After, and the rate of successful answers under overload is
 * printed against the rate with 30 clients (goodput; a figure for docs/operations.md, not an
 * assertion: no timing assertions in tests).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Databases } from '../src/index.js';
import { httpGet } from './harness/faults.js';
import type { TestServer } from './harness/test-server.js';
import { forEachEngine } from './support/engines.js';
import { serve } from './support/serve.js';

const POOL = 30;
const SERVER_LIMIT = 40;
const PHASE_MS = 3000;

forEachEngine('10× overload', ['mariadb', 'postgres'], (engine) => {
  let server: TestServer;
  before(async () => {
    server = await engine().startDedicated({ maxConnections: SERVER_LIMIT });
  });
  after(() => server?.stop());

  it(`300 clients, maxConnections ${POOL}, server limit ${SERVER_LIMIT}: no refusal by the server, excess answered 503 + Retry-After, goodput printed`, async () => {
    const dbs = engine().databases({ default: { url: server.url, maxConnections: POOL, acquireTimeout: 1000, retryAfter: 1000 } });
    const served = await serve(dbs, async (_req, res) => {
      await dbs.get().query(engine().dialect.sleep(0.2));
      res.end('ok');
    });
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await engine().countOn(server));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const unloaded = await closedLoop(served.port, POOL);
    const overloaded = await closedLoop(served.port, POOL * 10);
    sampling = false;
    await sampler;
    const goodput = overloaded.ok / overloaded.seconds / (unloaded.ok / unloaded.seconds);
    console.log(
      `# ${engine().name}: ${POOL} clients ${Math.round(unloaded.ok / unloaded.seconds)} ok/s; ${POOL * 10} clients ${Math.round(overloaded.ok / overloaded.seconds)} ok/s (goodput ${goodput.toFixed(2)}× the unloaded rate), ${overloaded.unavailable} answered 503, slowest answer ${overloaded.slowestMs} ms, peak ${peak} sessions`,
    );

    for (const phase of [unloaded, overloaded]) assert.deepEqual(phase.otherStatuses, [], JSON.stringify(phase));
    assert.ok(overloaded.unavailable > 0, 'nothing was turned away: the load did not overload the pool');
    assert.ok(overloaded.retryAfterMissing === 0, 'a 503 came without Retry-After');
    assert.equal(dbs.stats().default!.refusals, 0, JSON.stringify(dbs.stats()));
    assert.ok(peak <= POOL, `the server held ${peak} sessions for a budget of ${POOL}`);
    await served.close();
    await closeAndCount(dbs);
  });

  async function closeAndCount(dbs: Databases): Promise<void> {
    await dbs.close();
    assert.equal(await engine().waitForCountOn(server, 0), 0);
  }
});

interface Phase {
  ok: number;
  unavailable: number;
  otherStatuses: number[];
  retryAfterMissing: number;
  slowestMs: number;
  seconds: number;
}

/** `clients` loops sending GETs back to back for PHASE_MS. */
async function closedLoop(port: number, clients: number): Promise<Phase> {
  const phase: Phase = { ok: 0, unavailable: 0, otherStatuses: [], retryAfterMissing: 0, slowestMs: 0, seconds: PHASE_MS / 1000 };
  const until = Date.now() + PHASE_MS;
  const client = async (): Promise<void> => {
    while (Date.now() < until) {
      const started = Date.now();
      const response = await httpGet(port, '/', { timeoutMs: 15_000 });
      phase.slowestMs = Math.max(phase.slowestMs, Date.now() - started);
      if (response.status === 200) phase.ok++;
      else if (response.status === 503) {
        phase.unavailable++;
        if (response.headers['retry-after'] === undefined) phase.retryAfterMissing++;
      } else phase.otherStatuses.push(response.status);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: clients }, client));
  // Until the last answer, not the deadline: requests queued at the deadline are still served.
  phase.seconds = (Date.now() - started) / 1000;
  return phase;
}
