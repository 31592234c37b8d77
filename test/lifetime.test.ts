/**
 * Persistent connections done right: maxLifetime 0 closes at request end (Django's
 * CONN_MAX_AGE=0); a persistent pool reuses one server session and retires it after
 * maxLifetime; idle connections close after idleTimeout and before the server's wait_timeout.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { httpGet } from './harness/faults.js';
import type { TestServer } from './harness/test-server.js';
import { forEachEngine } from './support/engines.js';
import { delay, eventually, serve } from './support/serve.js';

forEachEngine('connection lifetime', ['mariadb', 'postgres'], (engine) => {
  it('maxLifetime 0: the server count returns to 0 after each request', async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
    const db = dbs.get();
    const ids = new Set<unknown>();
    const served = await serve(dbs, async (_req, res) => {
      const [row] = await db.query(engine().dialect.serverIdSql);
      ids.add(Number(row!.id));
      res.end('ok');
    });
    for (let i = 0; i < 5; i++) {
      assert.equal((await httpGet(served.port, `/${i}`)).status, 200);
      assert.equal(await engine().waitForCount(0), 0, `after request ${i}`);
    }
    assert.equal(ids.size, 5, 'each request had a new server session');
    await served.close();
    await dbs.close();
  });

  it('persistent: one server session serves sequential requests and is retired after maxLifetime', async () => {
    const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 1500, idleTimeout: 1500 } });
    const db = dbs.get();
    const ids: number[] = [];
    const served = await serve(dbs, async (_req, res) => {
      const [row] = await db.query(engine().dialect.serverIdSql);
      ids.push(Number(row!.id));
      res.end('ok');
    });
    for (let i = 0; i < 5; i++) await httpGet(served.port, `/${i}`);
    assert.equal(new Set(ids).size, 1, `sequential requests used sessions ${ids.join(',')}`);
    assert.equal(await engine().count(), 1);
    const [listed] = await engine().connections();
    assert.equal(listed!.id, ids[0], 'the server knows our session by the same id');

    await delay(1600);
    await httpGet(served.port, '/after-lifetime');
    assert.notEqual(ids.at(-1), ids[0], 'the session outlived maxLifetime');
    assert.ok(
      await eventually(async () => !(await engine().connections()).some((c) => c.id === ids[0])),
      'the retired session is still on the server',
    );
    assert.equal(await engine().count(), 1);
    await served.close();
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('idle connections are closed after idleTimeout', async () => {
    const dbs = engine().databases({ default: { url: engine().url, idleTimeout: 300 } });
    await Promise.all([1, 2, 3].map(() => dbs.run(() => dbs.get().query(engine().dialect.sleep(0.1)))));
    assert.equal(await engine().count(), 3);
    assert.equal(dbs.stats().default!.idle, 3);
    assert.equal(await engine().waitForCount(0, 3000), 0);
    // The server may drop the sessions a moment before the driver reports them closed.
    assert.ok(await eventually(() => dbs.stats().default!.open === 0), `open=${dbs.stats().default!.open}`);
    await dbs.close();
  });
});

forEachEngine("idle connections retire before the server's own idle timeout", ['mariadb', 'postgres'], (engine) => {
  let server: TestServer;
  before(async () => {
    // wait_timeout 2 s on MariaDB, idle_session_timeout 2 s on PostgreSQL.
    server = await engine().startDedicated({ maxConnections: 20, idleTimeoutSeconds: 2 });
  });
  after(async () => {
    await server?.stop();
  });

  it('reads the server limit on connect and closes idle connections before the server reaps them', async () => {
    const dbs = engine().databases({ default: { url: server.url, idleTimeout: 60_000 } });
    const db = dbs.get();
    await dbs.run(() => db.query('SELECT 1'));
    assert.equal(dbs.stats().default!.idle, 1);
    // Closed by the pool before the server's 2 s; had the server reaped it, it would count as lost.
    assert.ok(await eventually(() => dbs.stats().default!.closed === 1, 3000), 'the idle connection was never closed');
    assert.equal(dbs.stats().default!.lost, 0, 'the server reaped the idle connection before the pool retired it');
    assert.equal(await engine().waitForCountOn(server, 0), 0);
    const [row] = await dbs.run(() => db.query('SELECT 1 AS one'));
    assert.equal(Number(row!.one), 1);
    await dbs.close();
  });
});
