/**
 * SQLite has one writer at a time. Two requests writing through two pooled connections must
 * take turns without freezing the event loop: better-sqlite3's own lock wait is synchronous, so
 * a second writer waiting inside it would block the first writer's COMMIT and fail after the
 * busy timeout. Found by the demo's abort-heavy load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createDatabases } from '../src/index.js';
import { delay } from './support/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'leakproof-writers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('interleaved write transactions on two connections both commit', async () => {
  const dbs = createDatabases({ default: { url: `sqlite:${join(dir, 'w.sqlite3')}`, maxConnections: 2 } });
  const db = dbs.get();
  try {
    await db.execute('CREATE TABLE vote (id INTEGER PRIMARY KEY, who TEXT NOT NULL)');
    let firstHoldsLock!: () => void;
    const locked = new Promise<void>((resolve) => (firstHoldsLock = resolve));
    const first = dbs.run(() =>
      db.transaction(async (tx) => {
        await tx.execute("INSERT INTO vote (who) VALUES ('first-a')");
        firstHoldsLock();
        await delay(100); // holds the write lock across an await, as real handlers do
        await tx.execute("INSERT INTO vote (who) VALUES ('first-b')");
      }),
    );
    await locked;
    const second = dbs.run(() => db.transaction((tx) => tx.execute("INSERT INTO vote (who) VALUES ('second')")));
    const single = dbs.run(() => db.execute("INSERT INTO vote (who) VALUES ('autocommit')"));
    await Promise.all([first, second, single]);
    const rows = await db.query('SELECT who FROM vote ORDER BY id');
    assert.deepEqual(rows.map((r) => r.who).sort(), ['autocommit', 'first-a', 'first-b', 'second']);
    assert.equal(dbs.stats().default!.created, 2, 'the writers did not run on two connections');
  } finally {
    await dbs.close();
  }
});

it('a writer still blocked after the busy timeout fails with SQLITE_BUSY, and its connection stays usable', async () => {
  const dbs = createDatabases({ default: { url: `sqlite:${join(dir, 'b.sqlite3')}?busy_timeout=100`, maxConnections: 2 } });
  const db = dbs.get();
  try {
    await db.execute('CREATE TABLE t (x INTEGER)');
    const holder = dbs.createScope();
    await holder.run(() =>
      db.transaction(async () => {
        await db.execute('INSERT INTO t VALUES (1)');
        const error = await dbs.run(() => db.execute('INSERT INTO t VALUES (2)')).catch((e: unknown) => e);
        assert.equal((error as { code?: string }).code, 'SQLITE_BUSY');
      }),
    );
    await holder.end('finished');
    await dbs.run(() => db.execute('INSERT INTO t VALUES (3)'));
    assert.deepEqual(
      (await db.query('SELECT x FROM t ORDER BY x')).map((r) => r.x),
      [1, 3],
    );
  } finally {
    await dbs.close();
  }
});
