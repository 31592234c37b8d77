/**
 * db.stream() on every driver: rows read with the driver's own streaming (not fetched whole),
 * the lease held until the rows end, the loop stops, or it throws; the connection then clean
 * for the next statement, on the same server session when the pool keeps it. Counts come from
 * the server's own views. HTTP end paths are in stream-http.test.ts.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LeakproofError, type Databases, type Row, type RowStream } from '../src/index.js';
import { sampleCount } from './support/sample-count.js';
import { eventually } from './support/serve.js';
import { blockedOnClient, endlessSql, forEachStreamTarget, liveHeap, rowsSql, STREAM_TARGETS } from './support/streaming.js';

const KEPT = { maxConnections: 1, maxLifetime: 600_000 };

forEachStreamTarget('db.stream', STREAM_TARGETS, (engine, target, alias) => {
  const rows = (count: number, pad = 0): string => rowsSql(target.engine, count, pad);
  const numbers = (list: readonly Row[]): number[] => list.map((row) => Number(row['n']));

  /** The server session id and a fresh result, asked of the connection the next scope gets. */
  async function nextScopeSees(dbs: Databases): Promise<{ id: number; sum: number; inTransaction: number }> {
    return dbs.run(async () => {
      const db = dbs.get();
      const [id] = await db.query(engine().dialect.serverIdSql);
      const [sum] = await db.query('SELECT 20 + 22 AS sum');
      const [tx] = await db.query(engine().dialect.inTransactionSql);
      return { id: Number(id!['id']), sum: Number(sum!['sum']), inTransaction: Number(tx!['tx']) };
    });
  }

  async function serverIdIn(dbs: Databases, work: () => Promise<void>): Promise<number> {
    return dbs.run(async () => {
      const [row] = await dbs.get().query(engine().dialect.serverIdSql);
      await work();
      return Number(row!['id']);
    });
  }

  it('full iteration: every row in order, and the connection is released when the rows end', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    const db = dbs.get();
    const seen = await dbs.run(async () => {
      const out: Row[] = [];
      for await (const row of db.stream(rows(2500))) out.push(row);
      return out;
    });
    assert.deepEqual(
      numbers(seen),
      Array.from({ length: 2500 }, (_, i) => i + 1),
    );
    assert.equal(await engine().waitForCount(0), 0);
    const stats = dbs.stats().default!;
    assert.deepEqual([stats.acquired, stats.released, stats.discarded], [1, 1, 0]);
  });

  it('outside any scope: the stream leases a connection for the whole iteration and releases it after', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    let sum = 0;
    let heldDuring = 0;
    for await (const row of dbs.get().stream(rows(300))) {
      sum += Number(row['n']);
      if (Number(row['n']) === 150) heldDuring = dbs.stats().default!.inUse;
    }
    assert.equal(sum, (300 * 301) / 2);
    assert.equal(heldDuring, 1, 'the connection was not held while the loop ran');
    assert.ok(await eventually(() => dbs.stats().default!.released === 1));
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('early break: the stream is closed and the same server session serves the next request, clean', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    const id = await serverIdIn(dbs, async () => {
      const seen: number[] = [];
      for await (const row of db.stream(rows(5000))) {
        seen.push(Number(row['n']));
        if (seen.length === 10) break;
      }
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const [after] = await db.query('SELECT 7 AS seven');
      assert.equal(Number(after!['seven']), 7, 'the statement after the break got the wrong result');
    });
    assert.deepEqual(await nextScopeSees(dbs), { id, sum: 42, inTransaction: 0 });
    assert.equal(dbs.stats().default!.discarded, 0);
    assert.equal(await engine().count(), target.engine === 'sqlite' ? 0 : 1);
  });

  it('an endless result streams: rows arrive although it could never be fetched whole; breaking out keeps the connection', async () => {
    // Two: on MySQL the KILL QUERY that ends the rest runs on a second connection of the budget.
    const dbs = engine().databases({ default: alias({ ...KEPT, maxConnections: 2 }) });
    const db = dbs.get();
    const id = await serverIdIn(dbs, async () => {
      let count = 0;
      for await (const _row of db.stream(endlessSql(target.engine))) if (++count === 5000) break;
      assert.equal(count, 5000);
    });
    assert.deepEqual(await nextScopeSees(dbs), { id, sum: 42, inTransaction: 0 });
    // MySQL cannot abandon a result: past a short rest it is ended with KILL QUERY.
    assert.equal(dbs.stats().default!.cancels, target.abandonsCleanly ? 0 : 1);
    assert.equal(dbs.stats().default!.discarded, 0);
  });

  if (!target.abandonsCleanly) {
    it('an endless result broken out of with a budget of one: no connection can carry the KILL, so the connection is closed instead of drained for ever', async () => {
      const dbs = engine().databases({ default: alias(KEPT) });
      await dbs.run(async () => {
        let count = 0;
        for await (const _row of dbs.get().stream(endlessSql(target.engine))) if (++count === 2000) break;
      });
      const stats = dbs.stats().default!;
      assert.deepEqual([stats.cancels, stats.discarded, stats.open], [0, 1, 0], JSON.stringify(stats));
      assert.equal(await engine().waitForCount(0), 0, 'the server kept the session');
    });
  }

  if (!target.abandonsCleanly) {
    it('an endless result broken out of while the other connection is busy: the socket is cut, and its slot stays taken until the session is ended on the server', async () => {
      // The KILL QUERY finds no carrier within its 2 s (the only other connection sleeps 3 s),
      // so the socket is cut; the server would keep that session writing rows for ever.
      const dbs = engine().databases({ default: alias({ ...KEPT, maxConnections: 2 }) });
      const db = dbs.get();
      const peak = sampleCount(() => engine().count(), 20);
      let cutId = 0;
      const sleeper = dbs.run(() => db.query('SELECT SLEEP(3) AS slept'));
      const streamer = dbs.run(async () => {
        cutId = Number((await db.query(engine().dialect.serverIdSql))[0]!['id']);
        let count = 0;
        for await (const _row of db.stream(endlessSql(target.engine))) if (++count === 2000) break;
      });
      await streamer.then(
        () => 'ended',
        () => 'failed',
      );
      // A third request, queued behind the cut one: it may open a connection only once the server let the cut one go.
      const third = dbs.run(async () => Number((await db.query(engine().dialect.serverIdSql))[0]!['id']));
      const [thirdId] = await Promise.all([third, sleeper]);
      assert.notEqual(thirdId, cutId);
      assert.ok(!(await engine().connections()).some((c) => c.id === cutId), `session ${cutId} is still on the server`);
      const peakOnServer = await peak.stop();
      assert.ok(peakOnServer <= 2, `the server counted ${peakOnServer} sessions for maxConnections 2`);
      const stats = dbs.stats().default!;
      assert.deepEqual([stats.discarded, stats.sessionsEnded, stats.sessionEndTimeouts], [1, 1, 0], JSON.stringify(stats));
      await dbs.close();
    });
  }

  it('a short rest left after a break is read and dropped, without cancelling anything', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    const id = await serverIdIn(dbs, async () => {
      for await (const row of db.stream(rows(50), [], { batchSize: 5 })) if (Number(row['n']) === 10) break;
    });
    assert.deepEqual(await nextScopeSees(dbs), { id, sum: 42, inTransaction: 0 });
    assert.equal(dbs.stats().default!.cancels, 0);
  });

  it('a consumer that throws: its error comes out of the loop and the connection is clean', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    let id = 0;
    await assert.rejects(
      dbs.run(async () => {
        const [row] = await db.query(engine().dialect.serverIdSql);
        id = Number(row!['id']);
        for await (const streamed of db.stream(rows(3000))) if (Number(streamed['n']) === 42) throw new Error('consumer failed');
      }),
      /consumer failed/,
    );
    assert.deepEqual(await nextScopeSees(dbs), { id, sum: 42, inTransaction: 0 });
  });

  it('a statement issued while the stream is open fails with STREAM_OPEN instead of waiting forever; after the loop it runs', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    await dbs.run(async () => {
      const refused: unknown[] = [];
      for await (const row of db.stream(rows(20))) {
        if (Number(row['n']) !== 3) continue;
        refused.push(await db.query('SELECT 1 AS one').catch((error: unknown) => error));
        refused.push(await db.execute('SELECT 1').catch((error: unknown) => error));
        refused.push(await db.transaction(() => Promise.resolve()).catch((error: unknown) => error));
        refused.push(
          await db
            .stream(rows(2))
            .next()
            .catch((error: unknown) => error),
        );
      }
      assert.equal(refused.length, 4);
      for (const error of refused) assert.ok(error instanceof LeakproofError && error.code === 'STREAM_OPEN', String(error));
      const [row] = await db.query('SELECT 1 AS one');
      assert.equal(Number(row!['one']), 1);
    });
  });

  it('a statement issued before the first row was asked for runs first; one issued after return() waits for the close', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    await dbs.run(async () => {
      const stream = db.stream(rows(5000));
      const before = db.query('SELECT 5 AS five');
      const first = await stream.next();
      assert.equal(Number((await before)[0]!['five']), 5);
      assert.equal(Number(first.value!['n']), 1);
      const closing = stream.return();
      const after = db.query('SELECT 6 AS six');
      await closing;
      assert.equal(Number((await after)[0]!['six']), 6);
      assert.deepEqual(await stream.next(), { done: true, value: undefined });
    });
  });

  it('inside a transaction: the stream sees its uncommitted rows, and the statements after it still belong to it', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    const table = `stream_tx_${process.pid}`;
    const p = engine().dialect.param(1);
    await dbs.run(async () => {
      await db.execute(`DROP TABLE IF EXISTS ${table}`);
      await db.execute(engine().dialect.createTable(table));
    });
    try {
      await dbs.run(() =>
        db.transaction(async (tx) => {
          for (const label of ['a', 'b', 'c']) await tx.execute(`INSERT INTO ${table} (label) VALUES (${p})`, [label]);
          const labels: string[] = [];
          for await (const row of tx.stream(`SELECT label FROM ${table} ORDER BY id`, [], { batchSize: 2 }))
            labels.push(String(row['label']));
          assert.deepEqual(labels, ['a', 'b', 'c']);
          // Through `db` the call joins the transaction too; break out early, then go on writing.
          for await (const _row of db.stream(`SELECT label FROM ${table}`)) break;
          await tx.execute(`INSERT INTO ${table} (label) VALUES (${p})`, ['d']);
        }),
      );
      const committed = await dbs.run(() => db.query(`SELECT label FROM ${table} ORDER BY id`));
      assert.deepEqual(
        committed.map((row) => row['label']),
        ['a', 'b', 'c', 'd'],
      );
      assert.equal((await nextScopeSees(dbs)).inTransaction, 0);
    } finally {
      await dbs.run(() => db.execute(`DROP TABLE IF EXISTS ${table}`));
    }
  });

  it('a stream left open when its scope ends is closed, and its next read fails with REQUEST_ENDED', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    let stream: RowStream | undefined;
    const id = await serverIdIn(dbs, async () => {
      stream = db.stream(rows(5000));
      await stream.next();
    });
    const late = await stream!.next().catch((error: unknown) => error);
    assert.ok(late instanceof LeakproofError && late.code === 'REQUEST_ENDED', String(late));
    assert.deepEqual(await nextScopeSees(dbs), { id, sum: 42, inTransaction: 0 });
  });

  it('a statement error mid-stream rejects the loop; the connection goes on', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    const failing =
      target.engine === 'postgres'
        ? 'SELECT 1 / (3 - i) AS n FROM generate_series(1, 5) AS i'
        : target.engine === 'sqlite'
          ? 'SELECT n FROM no_such_table'
          : 'SELECT * FROM no_such_table';
    const error = await dbs.run(async () => {
      try {
        for await (const _row of db.stream(failing, [], { batchSize: 1 })) {
          /* read */
        }
      } catch (caught) {
        return caught;
      }
      return undefined;
    });
    assert.ok(error instanceof Error && !(error instanceof LeakproofError), `expected the driver's own error, got ${String(error)}`);
    assert.equal((await nextScopeSees(dbs)).sum, 42);
  });

  it('batchSize must be a positive integer', () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    assert.throws(
      () => dbs.get().stream('SELECT 1', [], { batchSize: 0 }),
      (error: unknown) => error instanceof LeakproofError && error.code === 'CONFIG_INVALID',
    );
  });

  it('backpressure: a consumer that stops reading holds the server back, and the live heap stays flat', async () => {
    const dbs = engine().databases({ default: alias(KEPT) });
    const db = dbs.get();
    await dbs.run(async () => {
      const stream = db.stream(endlessSql(target.engine, 200));
      await stream.next();
      if (target.engine !== 'sqlite') {
        // The server is waiting for us: it has not sent (MySQL) or computed (PostgreSQL) the rest.
        const held = await eventually(
          async () => (await engine().connections()).some((c) => blockedOnClient(target.engine, c.waitingFor)),
          5000,
        );
        assert.ok(held, `the server never showed the session waiting for the client: ${JSON.stringify(await engine().connections())}`);
      }
      await stream.return();
    });
    // 200,000 rows of 200 bytes would take well over 40 MB fetched whole.
    await dbs.run(async () => {
      const baseline = liveHeap();
      let peak = 0;
      for await (const row of db.stream(rows(200_000, 200))) {
        if (Number(row['n']) % 20_000 === 0) peak = Math.max(peak, liveHeap() - baseline);
      }
      assert.ok(peak < 16 * 1024 * 1024, `the live heap grew by ${(peak / 1024 / 1024).toFixed(1)} MB while streaming`);
    });
  });
});
