/**
 * Transactions: rollback on throw and on client abort, clean reuse (I3), savepoints for nested
 * calls, transactionPerRequest (Django's ATOMIC_REQUESTS), and sibling calls in one request
 * that wait instead of slipping into a transaction.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createDatabases, type Databases } from '../src/index.js';
import { abortingRequest, httpGet } from './harness/faults.js';
import { forEachEngine } from './support/engines.js';
import { eventually, serve } from './support/serve.js';

forEachEngine('transactions', ['mariadb', 'postgres', 'sqlite'], (engine) => {
  let dbs: Databases;
  const table = `tx_rows_${process.pid}`;
  const p = (n: number): string => engine().dialect.param(n);

  before(async () => {
    // One connection, kept: whatever a request leaves behind, the next request sees.
    dbs = createDatabases({ default: { url: engine().url, maxConnections: 1, maxLifetime: 600_000 } });
    await dbs.run(async () => {
      await dbs.get().execute(`DROP TABLE IF EXISTS ${table}`);
      await dbs.get().execute(engine().dialect.createTable(table));
    });
  });
  after(async () => {
    await dbs.run(() => dbs.get().execute(`DROP TABLE IF EXISTS ${table}`));
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  });

  const labels = async (): Promise<string[]> =>
    (await dbs.run(() => dbs.get().query(`SELECT label FROM ${table} ORDER BY id`))).map((r) => String(r.label));

  async function assertCleanSession(): Promise<void> {
    await dbs.run(async () => {
      const [row] = await dbs.get().query(engine().dialect.inTransactionSql);
      assert.equal(Number(row!.tx), 0, 'the reused connection is still inside a transaction');
    });
  }

  it('commits when the body resolves; rolls back when it throws', async () => {
    const db = dbs.get();
    await dbs.run(() => db.transaction((tx) => tx.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['committed'])));
    await assert.rejects(
      dbs.run(() =>
        db.transaction(async (tx) => {
          await tx.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['thrown']);
          throw new Error('no');
        }),
      ),
      /no/,
    );
    assert.deepEqual(await labels(), ['committed']);
    await assertCleanSession();
  });

  it('nested transactions use savepoints: an inner failure rolls back only the inner part', async () => {
    const db = dbs.get();
    await dbs.run(() =>
      db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['outer']);
        await tx.transaction(async (inner) => {
          await inner.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['inner-kept']);
        });
        await db
          .transaction(async () => {
            await db.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['inner-dropped']);
            throw new Error('inner');
          })
          .catch(() => undefined);
      }),
    );
    assert.deepEqual((await labels()).slice(-2), ['outer', 'inner-kept']);
    await assertCleanSession();
  });

  it('a sibling call in the same request waits for the transaction instead of joining it', async () => {
    const db = dbs.get();
    await assert.rejects(
      dbs.run(async () => {
        let releaseBody!: () => void;
        const gate = new Promise<void>((resolve) => (releaseBody = resolve));
        const tx = db
          .transaction(async (t) => {
            await t.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['in-tx']);
            await gate;
            throw new Error('roll it back');
          })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        // Issued while the transaction is open, from outside its body.
        const sibling = db.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['sibling']);
        releaseBody();
        await sibling;
        throw await tx;
      }),
      /roll it back/,
    );
    const rows = await labels();
    assert.ok(rows.includes('sibling'), 'the sibling write was lost with the rollback');
    assert.ok(!rows.includes('in-tx'));
  });

  it('transactionPerRequest: commits when the handler succeeds, rolls back when it throws', async () => {
    const perRequest = engine().databases({ default: { url: engine().url, maxConnections: 1, transactionPerRequest: true } });
    const db = perRequest.get();
    const served = await serve(perRequest, async (req, res) => {
      await db.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, [req.url!.slice(1)]);
      if (req.url === '/fail') throw new Error('handler failed');
      res.end('ok');
    });
    assert.equal((await httpGet(served.port, '/ok')).status, 200);
    assert.equal((await httpGet(served.port, '/fail')).status, 500);
    await served.close();
    await perRequest.close();
    const rows = await labels();
    assert.ok(rows.includes('ok'));
    assert.ok(!rows.includes('fail'));
  });
});

forEachEngine('transactions when the client leaves', ['mariadb', 'postgres'], (engine) => {
  const table = `tx_abort_${process.pid}`;
  const p = (n: number): string => engine().dialect.param(n);

  async function run(options: { transactionPerRequest: boolean }): Promise<void> {
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 1, ...options } });
    const db = dbs.get();
    await dbs.run(async () => {
      await db.execute(`DROP TABLE IF EXISTS ${table}`);
      await db.execute(engine().dialect.createTable(table));
    });
    const ids: number[] = [];
    const served = await serve(dbs, async (_req, res) => {
      const write = async (): Promise<void> => {
        const [row] = await db.query(engine().dialect.serverIdSql);
        ids.push(Number(row!.id));
        await db.execute(`INSERT INTO ${table} (label) VALUES (${p(1)})`, ['abandoned']);
        await db.query(engine().dialect.sleep(1));
      };
      await (options.transactionPerRequest ? write() : db.transaction(write));
      res.end('ok');
    });
    await abortingRequest({
      port: served.port,
      method: 'GET',
      path: '/',
      abortWhen: () =>
        eventually(async () => (await engine().connections()).some((c) => /sleep/i.test(c.query ?? ''))).then(() => undefined),
    });
    assert.ok(await eventually(() => dbs.stats().default!.inUse === 0, 5000));
    // The server's own view of the session, now idle in the pool: not in a transaction. MariaDB
    // reads that from INNODB_TRX, a cache that another test file's reader may have refreshed
    // just before the rollback, so the view is polled (bounded); a connection really left in a
    // transaction never turns clean while it sits idle.
    const clean = await eventually(async () => {
      const [session] = await engine().connections();
      return session !== undefined && session.id === ids[0] && !session.inTransaction;
    }, 2000);
    assert.ok(clean, `the pooled connection is still inside a transaction: ${JSON.stringify(await engine().connections())}`);
    const [count] = await dbs.run(() => db.query(`SELECT COUNT(*) AS n FROM ${table}`));
    assert.equal(Number(count!.n), 0, 'the abandoned row was committed');
    if (!options.transactionPerRequest) {
      const [state] = await dbs.run(() => db.query(engine().dialect.inTransactionSql));
      assert.equal(Number(state!.tx), 0, 'the reused connection is inside a transaction');
    }
    const [again] = await dbs.run(() => db.query(engine().dialect.serverIdSql));
    assert.equal(Number(again!.id), ids[0], 'the rolled-back connection was reused, not replaced');
    assert.equal(dbs.stats().default!.rollbacks, 1);
    await dbs.run(() => db.execute(`DROP TABLE ${table}`));
    await served.close();
    await dbs.close();
    assert.equal(await engine().waitForCount(0), 0);
  }

  it('inside db.transaction(): the row is absent and the reused connection is clean', () => run({ transactionPerRequest: false }));
  it('with transactionPerRequest: the row is absent and the reused connection is clean', () => run({ transactionPerRequest: true }));
});
