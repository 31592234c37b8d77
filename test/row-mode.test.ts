/**
 * rowMode: 'array' on query and stream, on every driver: rows come back as arrays in column
 * order with their columns as `fields`, so duplicate column names survive (what query builders
 * read joined rows with), and a cached statement goes back to objects afterwards.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachStreamTarget, rowsSql, STREAM_TARGETS } from './support/streaming.js';

forEachStreamTarget('rowMode array', STREAM_TARGETS, (engine, target, alias) => {
  it('query: SELECT 1 AS id, 2 AS id gives [[1, 2]] and both fields; object rows after it as before', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    const db = dbs.get();
    await dbs.run(async () => {
      const rows = await db.query<[number, number]>('SELECT 1 AS id, 2 AS id', [], { rowMode: 'array' });
      assert.deepEqual(
        rows.map((row) => row.map(Number)),
        [[1, 2]],
      );
      assert.deepEqual(
        rows.fields.map((field) => field.name),
        ['id', 'id'],
      );
      assert.deepEqual(JSON.parse(JSON.stringify(rows)), [[1, 2]], 'fields must not show up in the rows');
      // The mariadb connector refuses duplicate names in object rows (its checkDuplicate option).
      if (target.client === 'mariadb') return;
      const [object] = await db.query('SELECT 1 AS id, 2 AS id');
      assert.equal(Number(object!['id']), 2, 'the same statement read as objects again');
    });
  });

  it('query inside a transaction, with parameters, and an empty result keeps its fields', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    const p = (n: number): string => engine().dialect.param(n);
    await dbs.run(() =>
      dbs.get().transaction(async (tx) => {
        const rows = await tx.query(`SELECT ${p(1)} AS a, ${p(2)} AS b`, ['x', 'y'], { rowMode: 'array' });
        assert.deepEqual([...rows], [['x', 'y']]);
        const none = await tx.query(`SELECT 1 AS a FROM (SELECT 1 AS z) AS t WHERE t.z = 0`, [], { rowMode: 'array' });
        assert.deepEqual([...none], []);
        assert.deepEqual(
          none.fields.map((field) => field.name),
          ['a'],
        );
      }),
    );
  });

  it('stream: rows as arrays in order, fields once read', async () => {
    const dbs = engine().databases({ default: alias({ maxLifetime: 0 }) });
    const db = dbs.get();
    await dbs.run(async () => {
      const stream = db.stream<unknown[]>(rowsSql(target.engine, 25), [], { batchSize: 10, rowMode: 'array' });
      const seen: number[] = [];
      for await (const row of stream) {
        assert.ok(Array.isArray(row));
        seen.push(Number(row[0]));
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        stream.fields?.map((field) => field.name),
        ['n'],
      );
      const [object] = await db.query(rowsSql(target.engine, 1));
      assert.equal(Number(object!['n']), 1);
    });
    assert.equal(await engine().waitForCount(0), 0);
  });
});
