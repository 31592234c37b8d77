/**
 * A MySQL cancel travels as `KILL QUERY` on another connection of the pool, its carrier. When
 * the carrier's network goes dark the KILL does not answer, and after 2 s leakproof cuts the
 * carrier. The KILL may still run on the server, and the carrier's session is still listed
 * there, so its slot of the budget stays taken until another connection has ended that session
 * and seen it gone: the pool never counts a slot free that the server still fills. Here only
 * the carrier's link through the proxy stalls; the server's own session list is the judge.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, it } from 'node:test';
import { startStallProxy, type StallProxy } from './harness/stall-proxy.js';
import { forEachEngine } from './support/engines.js';
import { eventually, serve } from './support/serve.js';

const BUDGET = 3;

forEachEngine('a cancel whose carrier goes dark', ['mariadb'], (engine) => {
  let proxy: StallProxy;
  before(async () => {
    const url = new URL(engine().url);
    proxy = await startStallProxy({ host: url.hostname, port: Number(url.port) });
  });
  after(() => proxy.close());

  it("the KILL QUERY is given up after 2 s, the carrier's session is ended from a third connection and seen gone before its slot is used again", async () => {
    const url = new URL(proxy.urlFor(engine().url));
    const dbs = engine().databases({ default: { url: url.toString(), maxConnections: BUDGET, cancelOnAbort: true } });
    const db = dbs.get();
    const served = await serve(dbs, async (req, res) => {
      if (req.url === '/sleep') await db.query('SELECT SLEEP(5)');
      const [self] = await db.query<{ id: number | string; port: string }>(
        "SELECT CONNECTION_ID() AS id, SUBSTRING_INDEX(HOST, ':', -1) AS port FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()",
      );
      if (req.url === '/whoami') await db.query('SELECT SLEEP(0.3)');
      res.end(JSON.stringify({ id: Number(self!.id), port: Number(self!.port) }));
    });
    // Two overlapping requests: two connections, both idle afterwards.
    const sessions = await Promise.all([whoami(served.port), whoami(served.port)]);
    assert.notEqual(sessions[0].id, sessions[1].id);

    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await engine().count());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      const request = http.get({ host: '127.0.0.1', port: served.port, path: '/sleep', agent: false });
      request.on('error', () => undefined);
      assert.ok(await engine().statementRunning(/sleep\(5\)/i), 'the sleep never ran');
      const running = (await engine().connections()).find((c) => /sleep\(5\)/i.test(c.query ?? ''))!;
      const carrier = sessions.find((session) => session.id !== running.id)!;
      proxy.stallLink(carrier.port, 'drop');
      request.destroy();

      const ended = await eventually(() => dbs.stats().default!.sessionsEnded === 1, 10_000);
      assert.ok(ended, `the carrier's session was not ended from another connection: ${JSON.stringify(dbs.stats())}`);
      const listed = (await engine().connections()).map((c) => c.id);
      assert.ok(
        !listed.includes(carrier.id),
        `the server still lists the carrier ${carrier.id} (its link still dark): ${listed.join(', ')}`,
      );
      assert.ok(dbs.stats().default!.cancels >= 1, JSON.stringify(dbs.stats()));
      // The pool serves again within its budget while the carrier's link stays dark.
      assert.equal((await whoami(served.port)).id > 0, true);
    } finally {
      sampling = false;
      await sampler;
      proxy.resume();
    }
    assert.ok(peak <= BUDGET, `the server held ${peak} sessions for a budget of ${BUDGET}`);
    await served.close();
    await dbs.close();
    assert.equal(await engine().waitForCount(0, 10_000), 0);
  });
});

async function whoami(port: number): Promise<{ id: number; port: number }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/whoami', agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          response.statusCode === 200 ? resolve(JSON.parse(body) as { id: number; port: number }) : reject(new Error(body)),
        );
      })
      .on('error', reject);
  });
}
