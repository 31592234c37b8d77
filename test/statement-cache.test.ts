/**
 * The statement cache on PostgreSQL (named statements), read back from the session's own
 * `pg_prepared_statements`: a parameterised statement is prepared once per connection and
 * reused; the cache is bounded (the least recently used is deallocated on the server); a table
 * changed under a prepared statement, or `DEALLOCATE ALL`, costs the user nothing outside a
 * transaction and one clean statement error inside one; savepoints keep working; statements
 * without parameters and `statementCache: 0` prepare nothing. On MySQL (mysql2) it is opt-in:
 * statements with scalar parameters go through `execute()`, counted by the session's
 * `Com_stmt_prepare`, and answer as `query()` does; an array parameter still expands, and a
 * statement the server refuses to prepare (1295) runs as text, in a transaction as well.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database, Databases } from '../src/index.js';
import { forEachEngine } from './support/engines.js';

forEachEngine('the statement cache', ['postgres'], (engine) => {
  const table = `stmt_cache_${process.pid}`;

  function open(statementCache?: number): Databases {
    return engine().databases({
      default: { url: engine().url, maxConnections: 1, ...(statementCache === undefined ? {} : { statementCache }) },
    });
  }

  /** The statements this lease's session holds prepared, as the server lists them. */
  async function prepared(db: Database): Promise<string[]> {
    const rows = await db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time');
    return rows.map((row) => row.statement);
  }

  it('prepares a parameterised statement once per connection and reuses it; statements without parameters are not prepared', async () => {
    const dbs = open();
    await dbs.run(async () => {
      const db = dbs.get();
      for (let n = 1; n <= 3; n++) assert.deepEqual(await db.query('SELECT $1::int AS n', [n]), [{ n }]);
      await db.query('SELECT 1 AS one');
      assert.deepEqual(await prepared(db), ['SELECT $1::int AS n']);
    });
    // The next request on the same connection finds it still prepared.
    await dbs.run(async () => {
      const db = dbs.get();
      assert.deepEqual(await db.query('SELECT $1::int AS n', [7]), [{ n: 7 }]);
      assert.deepEqual(await prepared(db), ['SELECT $1::int AS n']);
    });
    assert.equal(dbs.stats().default!.created, 1);
  });

  it('is bounded: past statementCache the least recently used statement is deallocated on the server', async () => {
    const dbs = open(3);
    await dbs.run(async () => {
      const db = dbs.get();
      for (const n of [1, 2, 3]) await db.query(`SELECT $1::int + ${n} AS n`, [0]);
      await db.query('SELECT $1::int + 1 AS n', [0]); // 1 is now the most recently used
      for (const n of [4, 5]) await db.query(`SELECT $1::int + ${n} AS n`, [0]);
      assert.deepEqual((await prepared(db)).sort(), ['SELECT $1::int + 1 AS n', 'SELECT $1::int + 4 AS n', 'SELECT $1::int + 5 AS n']);
    });
  });

  it('statementCache: 0 prepares nothing', async () => {
    const dbs = open(0);
    await dbs.run(async () => {
      const db = dbs.get();
      await db.query('SELECT $1::int AS n', [1]);
      assert.deepEqual(await prepared(db), []);
    });
  });

  it('a table changed under a prepared statement: prepared again outside a transaction, one statement error inside one, then prepared again', async () => {
    const dbs = open();
    const db = dbs.get();
    await dbs.run(async () => {
      await db.execute(`DROP TABLE IF EXISTS ${table}`);
      await db.execute(`CREATE TABLE ${table} (id int PRIMARY KEY, label text)`);
      await db.execute(`INSERT INTO ${table} VALUES (1, 'one')`);
    });
    const select = `SELECT * FROM ${table} WHERE id = $1`;
    try {
      await dbs.run(async () => {
        assert.deepEqual(await db.query(select, [1]), [{ id: 1, label: 'one' }]);
        await db.execute(`ALTER TABLE ${table} ADD COLUMN extra int DEFAULT 5`);
        assert.deepEqual(await db.query(select, [1]), [{ id: 1, label: 'one', extra: 5 }]);
      });
      await dbs.run(async () => {
        await db.execute(`ALTER TABLE ${table} ADD COLUMN more int DEFAULT 6`);
        const error = await db.transaction((tx) => tx.query(select, [1])).catch((caught: unknown) => caught);
        // The driver's own error, as for any failed statement: the transaction was rolled back.
        assert.equal((error as { code?: string }).code, '0A000', String(error));
        assert.match((error as Error).message, /cached plan must not change result type/);
        assert.deepEqual(await db.query(select, [1]), [{ id: 1, label: 'one', extra: 5, more: 6 }]);
      });
      assert.equal(dbs.stats().default!.created, 1, 'the connection was kept: a stale plan is a statement error');
    } finally {
      await dbs.run(() => db.execute(`DROP TABLE IF EXISTS ${table}`));
    }
  });

  it('DEALLOCATE ALL by the app: the next run prepares the statement again', async () => {
    const dbs = open();
    await dbs.run(async () => {
      const db = dbs.get();
      await db.query('SELECT $1::int AS n', [1]);
      await db.execute('DEALLOCATE ALL');
      assert.deepEqual(await db.query('SELECT $1::int AS n', [2]), [{ n: 2 }]);
      assert.deepEqual(await prepared(db), ['SELECT $1::int AS n']);
    });
  });

  it('inside savepoints: an inner failure rolls back to the savepoint, and the prepared statements go on serving', async () => {
    const dbs = open();
    await dbs.run(async () => {
      const db = dbs.get();
      const rows = await db.transaction(async (tx) => {
        await tx.query('SELECT $1::int AS n', [1]);
        await tx
          .transaction(async (inner) => {
            await inner.query('SELECT $1::int AS n', [2]);
            throw new Error('inner');
          })
          .catch(() => undefined);
        return tx.query('SELECT $1::int AS n', [3]);
      });
      assert.deepEqual(rows, [{ n: 3 }]);
      assert.deepEqual(await prepared(db), ['SELECT $1::int AS n']);
    });
  });
});

forEachEngine('the statement cache, opt-in on mysql2', ['mariadb'], (engine) => {
  const table = `stmt_cache_my_${process.pid}`;

  /** How many statements this lease's session has prepared, by the server's own counter. */
  async function preparedCount(db: Database): Promise<number> {
    const [row] = await db.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'");
    return Number(row?.Value);
  }

  it('off unless set; set, a scalar-parameter statement is prepared once per connection and answers as query() does, and arrays still expand through query()', async () => {
    const off = engine().databases({ default: { url: engine().url, maxConnections: 1 } });
    await off.run(async () => {
      await off.get().query('SELECT ? AS n', [1]);
      assert.equal(await preparedCount(off.get()), 0);
    });
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 1, statementCache: 20 } });
    const db = dbs.get();
    await dbs.run(async () => {
      await db.execute(`DROP TABLE IF EXISTS ${table}`);
      await db.execute(`CREATE TABLE ${table} (id INT PRIMARY KEY, label VARCHAR(20), price DECIMAL(8,2), at DATETIME, big BIGINT)`);
      await db.execute(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?)`, [1, 'one', '9.99', new Date(2026, 0, 2, 3, 4, 5), 9007199254740993n]);
    });
    try {
      await dbs.run(async () => {
        const text = await off.run(() => off.get().query(`SELECT * FROM ${table} WHERE id = ?`, [1]));
        for (let i = 0; i < 3; i++) assert.deepEqual(await db.query(`SELECT * FROM ${table} WHERE id = ?`, [1]), text);
        assert.deepEqual(await db.query(`SELECT id FROM ${table} WHERE id IN (?)`, [[1, 2]]), [{ id: 1 }]);
        assert.equal(await preparedCount(db), 2, 'the INSERT and the SELECT, each once');
      });
    } finally {
      await dbs.run(() => db.execute(`DROP TABLE IF EXISTS ${table}`));
    }
  });

  it('a statement the server will not prepare (1295) is answered through the text protocol, in a transaction too, as with the cache off', async () => {
    // EXECUTE IMMEDIATE is refused by the prepared-statement protocol (ER_UNSUPPORTED_PS, 1295).
    const sql = 'EXECUTE IMMEDIATE ?';
    /** Com_stmt_prepare's rise over one run of the statement (EXECUTE IMMEDIATE prepares its text itself). */
    async function preparesFor(db: Database): Promise<number> {
      const before = await preparedCount(db);
      assert.deepEqual(await db.query(sql, ['SELECT 7 AS n']), [{ n: 7 }]);
      return (await preparedCount(db)) - before;
    }
    const off = engine().databases({ default: { url: engine().url, maxConnections: 1 } });
    const withoutCache = await off.run(() => preparesFor(off.get()));
    const dbs = engine().databases({ default: { url: engine().url, maxConnections: 1, statementCache: 20 } });
    const db = dbs.get();
    await dbs.run(async () => {
      assert.equal(await preparesFor(db), withoutCache + 1, 'execute() asked the server first, was refused, and the text ran');
      const inside = await db.transaction(async (tx) => {
        const rows = await tx.query(sql, ['SELECT 8 AS n']);
        const [state] = await tx.query<{ open: number | string }>('SELECT @@in_transaction AS open');
        return { rows, open: Number(state?.open) };
      });
      assert.deepEqual(inside, { rows: [{ n: 8 }], open: 1 }, 'answered, and the transaction went on');
      const before = await preparedCount(db);
      assert.deepEqual(await db.query('SELECT ? AS n', [9]), [{ n: 9 }]);
      assert.equal(await preparedCount(db), before + 1, 'the connection no longer prepares statements');
    });
  });
});
