/**
 * A response streamed from db.stream() through node:http releases its connection after the
 * last chunk or when the client leaves, never when the handler returns: for-await with
 * res.write, Readable.from(...).pipe(res) returned early, and pipeline. Counted with the
 * server's own views; maxLifetime 0 shows "released" as the server's count reaching 0.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { it } from 'node:test';
import { LeakproofError, type Database, type Row } from '../src/index.js';
import { httpGet } from './harness/faults.js';
import { eventually, serve } from './support/serve.js';
import { endlessSql, forEachStreamTarget, readThenHangUp, rowsSql, slowAfterSql, STREAM_TARGETS } from './support/streaming.js';

const line = (row: Row): string => `${String(row['n'])}\n`;

function ndjson(): Transform {
  return new Transform({ writableObjectMode: true, transform: (row: Row, _encoding, done) => done(null, line(row)) });
}

/** Resolves on 'drain', or on 'close': a response whose client left never drains. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** Writes each row, waiting when the client is slower than the database. */
async function writeRows(db: Database, sql: string, res: ServerResponse, batchSize?: number): Promise<void> {
  for await (const row of db.stream(sql, [], { batchSize })) {
    if (!res.write(line(row))) await drained(res);
  }
  res.end();
}

/** Rows as NDJSON lines, for `Readable.from(...).pipe(res)`. */
async function* lines(rows: AsyncIterable<Row>): AsyncGenerator<string> {
  for await (const row of rows) yield line(row);
}

const expectedBody = (count: number): string => Array.from({ length: count }, (_, i) => `${i + 1}\n`).join('');

forEachStreamTarget('streamed responses (node:http)', STREAM_TARGETS, (engine, target, alias) => {
  const server = target.engine !== 'sqlite';

  async function statementGone(pattern: RegExp, timeoutMs: number): Promise<boolean> {
    return eventually(async () => !(await engine().connections()).some((c) => pattern.test(c.query ?? '')), timeoutMs);
  }

  it('for await + res.write: the whole body arrives and the connection is released after the last chunk', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    const served = await serve(dbs, (_req, res) => writeRows(dbs.get(), rowsSql(target.engine, 3000), res));
    const response = await httpGet(served.port, '/rows');
    assert.equal(response.body, expectedBody(3000));
    assert.equal(await engine().waitForCount(0), 0);
    assert.ok(await eventually(() => dbs.stats().default!.released === 1));
  });

  it('Readable.from(db.stream()).pipe(res), the handler returning at once: released after the last chunk, not at the return', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    let heldAtFirstRow: number | undefined;
    const served = await serve(dbs, (_req, res) => {
      const rows = Readable.from(dbs.get().stream(rowsSql(target.engine, 3000)));
      // The rows flow after the handler has returned: the connection must still be held then.
      rows.once('data', () => (heldAtFirstRow = dbs.stats().default!.inUse));
      rows.pipe(ndjson()).pipe(res);
    });
    const response = await httpGet(served.port, '/piped');
    assert.equal(response.body, expectedBody(3000), 'the body was cut short: the connection went when the handler returned');
    assert.equal(heldAtFirstRow, 1, 'the connection was not held while the rows flowed after the handler returned');
    assert.equal(await engine().waitForCount(0), 0);
    assert.ok(await eventually(() => dbs.stats().default!.released === 1));
  });

  it('pipeline(Readable.from(db.stream()), transform, res): released after the last chunk', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    const served = await serve(dbs, (_req, res) => pipeline(Readable.from(dbs.get().stream(rowsSql(target.engine, 2000))), ndjson(), res));
    const response = await httpGet(served.port, '/pipeline');
    assert.equal(response.body, expectedBody(2000));
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('client disconnects mid-stream (for await): the loop stops with REQUEST_ENDED and the connection is released', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    let failure: unknown;
    const served = await serve(dbs, (_req, res) =>
      writeRows(dbs.get(), endlessSql(target.engine), res).catch((error: unknown) => {
        failure = error;
      }),
    );
    const received = await readThenHangUp(served.port, '/endless', 10_000);
    assert.ok(received.startsWith('1\n2\n3\n'));
    assert.ok(await eventually(() => failure !== undefined), 'the loop never stopped');
    assert.ok(failure instanceof LeakproofError && failure.code === 'REQUEST_ENDED', String(failure));
    assert.equal(await engine().waitForCount(0), 0);
    if (server) assert.ok(await statementGone(/WITH RECURSIVE|seq_1_to/, 5000), 'the streaming statement is still on the server');
    assert.ok(await eventually(() => dbs.stats().default!.released === 1));
  });

  it('a statement failing mid-stream while the client is still there (.pipe): onError hears it, the response is cut off, released', async (t) => {
    // PostgreSQL raises division_by_zero at row 3; MariaDB and SQLite return NULL instead.
    if (target.engine !== 'postgres') return t.skip('needs a statement that fails after its first rows');
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    const errors: unknown[] = [];
    const sql = 'SELECT i AS n, 1 / (3 - i) AS q FROM generate_series(1, 100) AS i';
    const served = await serve(
      dbs,
      (_req, res) => {
        Readable.from(lines(dbs.get().stream(sql, [], { batchSize: 1 }))).pipe(res);
      },
      { onError: (error) => errors.push(error) },
    );
    const outcome = await httpGet(served.port, '/fails').then(
      () => 'complete',
      (error: unknown) => error,
    );
    assert.ok(outcome instanceof Error, 'the client got a complete response from a stream that failed');
    assert.doesNotMatch(outcome.message, /no complete response within/, 'the response was left hanging instead of cut off');
    assert.ok(await eventually(() => errors.length === 1), 'onError never heard of the failed source');
    assert.match(String(errors[0]), /division by zero/);
    assert.equal(await engine().waitForCount(0), 0);
    assert.ok(await eventually(() => dbs.stats().default!.released === 1));
  });

  it('client disconnects mid-stream (.pipe): no crash from the source error, and the connection is released', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    // Slow rows keep a read pending when the client leaves: that read rejects with REQUEST_ENDED.
    const sql = server ? slowAfterSql(target.engine, 3, 0.2) : endlessSql(target.engine);
    const served = await serve(dbs, (_req, res) => {
      // Piped straight into the response: leakproof/http handles the source's REQUEST_ENDED.
      Readable.from(lines(dbs.get().stream(sql, [], { batchSize: 1 }))).pipe(res);
    });
    await readThenHangUp(served.port, '/piped-abort', 4);
    assert.equal(await engine().waitForCount(0, 10_000), 0);
    assert.ok(await eventually(() => dbs.stats().default!.released === 1, 10_000));
  });

  it('after a client left mid-stream, the next request gets a clean connection and correct results', async () => {
    const dbs = engine().databases({ default: alias({ maxConnections: 1, maxLifetime: 600_000 }) });
    const db = dbs.get();
    const served = await serve(dbs, async (req, res) => {
      if (req.url === '/endless') return writeRows(db, endlessSql(target.engine), res).catch(() => undefined);
      const [id] = await db.query(engine().dialect.serverIdSql);
      const [tx] = await db.query(engine().dialect.inTransactionSql);
      const [sum] = await db.query('SELECT 20 + 22 AS sum');
      res.end(JSON.stringify({ id: Number(id!['id']), tx: Number(tx!['tx']), sum: Number(sum!['sum']) }));
    });
    const before = JSON.parse((await httpGet(served.port, '/check')).body) as { id: number };
    await readThenHangUp(served.port, '/endless', 10_000);
    assert.ok(await eventually(() => dbs.stats().default!.released === 2));
    const after = JSON.parse((await httpGet(served.port, '/check')).body) as { id: number; tx: number; sum: number };
    assert.deepEqual([after.tx, after.sum], [0, 42]);
    // MySQL cannot abandon a half-read result: that connection is closed and a fresh one serves.
    if (target.abandonsCleanly) assert.equal(after.id, before.id, 'the connection was not reused');
    else assert.equal(dbs.stats().default!.discarded, 1);
    assert.equal(await engine().waitForCount(server ? 1 : 0), server ? 1 : 0);
  });

  if (server) {
    it('client disconnects mid-stream with cancelOnAbort: the statement is cancelled on the server', async () => {
      const dbs = engine().databases({ default: alias({ maxLifetime: 0, cancelOnAbort: true }) });
      const served = await serve(dbs, (_req, res) =>
        writeRows(dbs.get(), slowAfterSql(target.engine, 3, 10), res, 1).catch(() => undefined),
      );
      await readThenHangUp(served.port, '/slow', 4);
      // Each later row sleeps 10 s: gone within 5 s means it was cancelled, not finished.
      assert.ok(await statementGone(/slept/, 5000), 'the statement was still running on the server 5 s after the client left');
      assert.equal(await engine().waitForCount(0), 0);
      assert.equal(dbs.stats().default!.cancels, 1);
    });
  }

  it('transactionPerRequest with a piped stream returned early: the whole body arrives and the transaction is committed, not left open', async () => {
    const dbs = engine().databases({ default: alias({ maxConnections: 1, maxLifetime: 600_000, transactionPerRequest: true }) });
    const db = dbs.get();
    const served = await serve(dbs, async (_req, res) => {
      await db.query('SELECT 1 AS one'); // the request's BEGIN goes out with it
      Readable.from(db.stream(rowsSql(target.engine, 1500)))
        .pipe(ndjson())
        .pipe(res);
    });
    const response = await httpGet(served.port, '/atomic');
    assert.equal(response.body, expectedBody(1500));
    assert.ok(await eventually(() => dbs.stats().default!.released === 1));
    // Committed when the handler settled (the stream queued behind it, or the COMMIT behind the stream), never rolled back at release.
    assert.equal(dbs.stats().default!.rollbacks, 0, 'the request transaction was still open at release');
    if (server) {
      // The server's own view of the kept connection (MariaDB's INNODB_TRX is a cache: polled, bounded).
      const clean = await eventually(async () => (await engine().connections()).every((c) => !c.inTransaction), 2000);
      assert.ok(clean, `the kept connection is inside a transaction on the server: ${JSON.stringify(await engine().connections())}`);
    }
  });
});
