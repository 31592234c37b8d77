/**
 * 10× overload (issue 12): 300 clients in a closed loop against a pool of 30 on a server that
 * allows 40, with the default queue and with one no longer than the pool (docs/operations.md,
 * "Sustained overload"). The server never refuses (the budget holds below its limit), every
 * request is answered 200 or 503 with Retry-After, and the rate of successful answers under
 * overload is printed against the rate with 30 clients (goodput; a figure for
 * docs/operations.md, not an assertion: no timing assertions in tests).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Databases } from '../src/index.js';
import { httpGet } from './harness/faults.js';
import type { TestServer } from './harness/test-server.js';
import { forEachEngine } from './support/engines.js';
import { delay, serve } from './support/serve.js';

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
    const overloaded = await overload({ acquireTimeout: 1000 }, 'the default queue');
    assert.ok(shed(overloaded) > 0, 'nothing was turned away: the load did not overload the pool');
  });

  it(`300 clients, the queue no longer than the pool (maxWaiting ${POOL}): the excess is shed at once (QUEUE_FULL + Retry-After), never left to time out`, async () => {
    // acquireTimeout 10 s: a wait that long would show as ACQUIRE_TIMEOUT; a queue of 30
    // behind 30 connections running 0.2 s statements is served well within it.
    const overloaded = await overload({ acquireTimeout: 10_000, maxWaiting: POOL }, `maxWaiting ${POOL}, clients wait Retry-After`, true);
    assert.ok((overloaded.codes.get('QUEUE_FULL') ?? 0) > 0, `nothing was shed: ${JSON.stringify([...overloaded.codes])}`);
    assert.deepEqual([...overloaded.codes.keys()], ['QUEUE_FULL']);
  });

  /**
   * Runs 30 then 300 clients against a pool of 30 and checks what holds under any queue: only
   * 200s and 503s with Retry-After, no refusal by the server, never more sessions than the
   * budget, none left after close. Prints the goodput; returns the overloaded phase.
   */
  async function overload(options: { acquireTimeout: number; maxWaiting?: number }, label: string, waitRetryAfter = false): Promise<Phase> {
    const dbs = engine().databases({ default: { url: server.url, maxConnections: POOL, retryAfter: 1000, ...options } });
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
    const overloaded = await closedLoop(served.port, POOL * 10, waitRetryAfter);
    sampling = false;
    await sampler;
    const goodput = overloaded.ok / overloaded.seconds / (unloaded.ok / unloaded.seconds);
    console.log(
      `# ${engine().name}, ${label}: ${POOL} clients ${Math.round(unloaded.ok / unloaded.seconds)} ok/s; ${POOL * 10} clients ${Math.round(overloaded.ok / overloaded.seconds)} ok/s (goodput ${goodput.toFixed(2)}× the unloaded rate), ${shed(overloaded)} answered 503 (${[...overloaded.codes].map(([code, n]) => `${n} ${code}`).join(', ')}), slowest answer ${overloaded.slowestMs} ms, peak ${peak} sessions`,
    );

    for (const phase of [unloaded, overloaded]) assert.deepEqual(phase.otherStatuses, [], JSON.stringify(phase));
    assert.ok(overloaded.retryAfterMissing === 0, 'a 503 came without Retry-After');
    assert.equal(dbs.stats().default!.refusals, 0, JSON.stringify(dbs.stats()));
    assert.ok(peak <= POOL, `the server held ${peak} sessions for a budget of ${POOL}`);
    await served.close();
    await closeAndCount(dbs);
    return overloaded;
  }

  async function closeAndCount(dbs: Databases): Promise<void> {
    await dbs.close();
    assert.equal(await engine().waitForCountOn(server, 0), 0);
  }
});

interface Phase {
  ok: number;
  otherStatuses: number[];
  retryAfterMissing: number;
  /** The error code of each 503's JSON body, and how many. */
  codes: Map<string, number>;
  slowestMs: number;
  seconds: number;
}

/** The 503s of a phase, whatever their code. */
function shed(phase: Phase): number {
  let total = 0;
  for (const count of phase.codes.values()) total += count;
  return total;
}

/**
 * `clients` loops sending GETs back to back for PHASE_MS. With `waitRetryAfter` a client
 * answered 503 waits the Retry-After it was given first, as a well-behaved client does (one
 * that asks again at once, on a fresh connection each time, could run the machine out of ports).
 */
async function closedLoop(port: number, clients: number, waitRetryAfter = false): Promise<Phase> {
  const phase: Phase = {
    ok: 0,
    otherStatuses: [],
    retryAfterMissing: 0,
    codes: new Map(),
    slowestMs: 0,
    seconds: PHASE_MS / 1000,
  };
  const until = Date.now() + PHASE_MS;
  const client = async (): Promise<void> => {
    while (Date.now() < until) {
      const started = Date.now();
      const response = await httpGet(port, '/', { timeoutMs: 15_000 });
      phase.slowestMs = Math.max(phase.slowestMs, Date.now() - started);
      if (response.status === 200) phase.ok++;
      else if (response.status === 503) {
        if (response.headers['retry-after'] === undefined) phase.retryAfterMissing++;
        const code = String((JSON.parse(response.body) as { error?: unknown }).error);
        phase.codes.set(code, (phase.codes.get(code) ?? 0) + 1);
        if (waitRetryAfter) await delay(Number(response.headers['retry-after'] ?? 0) * 1000);
      } else phase.otherStatuses.push(response.status);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: clients }, client));
  // Until the last answer, not the deadline: requests queued at the deadline are still served.
  phase.seconds = (Date.now() - started) / 1000;
  return phase;
}
