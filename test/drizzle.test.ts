/**
 * leakproof/drizzle on every engine: typed statements on the scope's connection, a join whose
 * two `id` columns both survive (rows read as arrays), prepared queries, transactions and
 * savepoints as leakproof transactions, refused transaction config, the outside-a-scope rule,
 * and relational queries (which MariaDB cannot run: no LATERAL). Counted on the server. The
 * HTTP end paths through Drizzle are in adapter-end-paths-*-drizzle-*.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { asc, eq, gt, sql } from 'drizzle-orm';
import { LeakproofError, type Database } from '../src/index.js';
import { drizzle } from '../src/drizzle/drizzle.js';
import { forEachEngine } from './support/engines.js';
import type { EngineName } from './support/dialect.js';
import { collect } from './support/compare.js';
import { runStatements } from './support/run-statements.js';
import { drizzleDdl, dropDrizzleTables, mysqlTables, pgTables, sqliteTables } from './support/drizzle-tables.js';

// Literal names: Drizzle keys a join's rows by table name, and the types follow.
const prefix = 'drizzle_t';

/**
 * What each case asks of Drizzle, written once per engine with that engine's typed tables: the
 * three bodies read alike, but each is checked against its own dialect's types, which no one
 * generic function over the three query builders could be.
 */
interface Ops {
  insert(label: string): Promise<void>;
  tag(label: string, name: string): Promise<void>;
  /** items joined to tags: [item id, tag's item_id, tag id, label, name] */
  joined(): Promise<[number, number, number, string, string][]>;
  prepared(label: string): Promise<string[]>;
  labels(): Promise<string[]>;
  clear(): Promise<void>;
  transaction<T>(
    body: (
      tx: Pick<Ops, 'insert'> & { rollback(): never; nested<U>(inner: (tx: Pick<Ops, 'insert'>) => Promise<U>): Promise<U> },
    ) => Promise<T>,
    config?: { isolationLevel: 'serializable' },
  ): Promise<T>;
  relational(): Promise<{ label: string; tags: string[] }[]>;
  /** A relational findFirst by label: the label, or undefined when no row has it. */
  first(label: string): Promise<string | undefined>;
}

function pgOps(db: Database): Ops {
  const { items, tags, ...relations } = pgTables(prefix);
  const orm = drizzle(db, { schema: { items, tags, ...relations }, dialect: 'postgresql' });
  const idOf = async (label: string): Promise<number> =>
    (await orm.select({ id: items.id }).from(items).where(eq(items.label, label)))[0]!.id;
  const byLabel = orm
    .select({ label: items.label })
    .from(items)
    .where(eq(items.label, sql.placeholder('label')))
    .prepare('by_label');
  return {
    insert: async (label) => void (await orm.insert(items).values({ label })),
    tag: async (label, name) => void (await orm.insert(tags).values({ itemId: await idOf(label), name })),
    joined: async () =>
      (await orm.select().from(items).innerJoin(tags, eq(tags.itemId, items.id)).orderBy(asc(tags.id))).map((r) => [
        r.drizzle_t_items.id,
        r.drizzle_t_tags.itemId,
        r.drizzle_t_tags.id,
        r.drizzle_t_items.label,
        r.drizzle_t_tags.name,
      ]),
    prepared: async (label) => (await byLabel.execute({ label })).map((r) => r.label),
    labels: async () => (await orm.select().from(items).orderBy(asc(items.id))).map((r) => r.label),
    clear: async () => void (await orm.delete(tags), await orm.delete(items)),
    transaction: (body, config) =>
      orm.transaction(
        (tx) =>
          body({
            insert: async (label) => void (await tx.insert(items).values({ label })),
            rollback: () => tx.rollback(),
            nested: (inner) => tx.transaction((sp) => inner({ insert: async (label) => void (await sp.insert(items).values({ label })) })),
          }),
        config,
      ),
    relational: async () =>
      (await orm.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) })).map((r) => ({
        label: r.label,
        tags: r.tags.map((t) => t.name),
      })),
    first: async (label) => (await orm.query.items.findFirst({ where: eq(items.label, label) }))?.label,
  };
}

function mysqlOps(db: Database): Ops {
  const { items, tags, ...relations } = mysqlTables(prefix);
  const orm = drizzle(db, { schema: { items, tags, ...relations }, dialect: 'mysql' });
  const idOf = async (label: string): Promise<number> =>
    (await orm.select({ id: items.id }).from(items).where(eq(items.label, label)))[0]!.id;
  const byLabel = orm
    .select({ label: items.label })
    .from(items)
    .where(eq(items.label, sql.placeholder('label')))
    .prepare();
  return {
    insert: async (label) => void (await orm.insert(items).values({ label })),
    tag: async (label, name) => void (await orm.insert(tags).values({ itemId: await idOf(label), name })),
    joined: async () =>
      (await orm.select().from(items).innerJoin(tags, eq(tags.itemId, items.id)).orderBy(asc(tags.id))).map((r) => [
        r.drizzle_t_items.id,
        r.drizzle_t_tags.itemId,
        r.drizzle_t_tags.id,
        r.drizzle_t_items.label,
        r.drizzle_t_tags.name,
      ]),
    prepared: async (label) => (await byLabel.execute({ label })).map((r) => r.label),
    labels: async () => (await orm.select().from(items).orderBy(asc(items.id))).map((r) => r.label),
    clear: async () => void (await orm.delete(tags), await orm.delete(items)),
    transaction: (body, config) =>
      orm.transaction(
        (tx) =>
          body({
            insert: async (label) => void (await tx.insert(items).values({ label })),
            rollback: () => tx.rollback(),
            nested: (inner) => tx.transaction((sp) => inner({ insert: async (label) => void (await sp.insert(items).values({ label })) })),
          }),
        config,
      ),
    relational: async () =>
      (await orm.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) })).map((r) => ({
        label: r.label,
        tags: r.tags.map((t) => t.name),
      })),
    first: async (label) => (await orm.query.items.findFirst({ where: eq(items.label, label) }))?.label,
  };
}

function sqliteOps(db: Database): Ops {
  const { items, tags, ...relations } = sqliteTables(prefix);
  const orm = drizzle(db, { schema: { items, tags, ...relations }, dialect: 'sqlite' });
  const idOf = async (label: string): Promise<number> =>
    (await orm.select({ id: items.id }).from(items).where(eq(items.label, label)))[0]!.id;
  const byLabel = orm
    .select({ label: items.label })
    .from(items)
    .where(eq(items.label, sql.placeholder('label')))
    .prepare();
  return {
    insert: async (label) => void (await orm.insert(items).values({ label })),
    tag: async (label, name) => void (await orm.insert(tags).values({ itemId: await idOf(label), name })),
    joined: async () =>
      (await orm.select().from(items).innerJoin(tags, eq(tags.itemId, items.id)).orderBy(asc(tags.id))).map((r) => [
        r.drizzle_t_items.id,
        r.drizzle_t_tags.itemId,
        r.drizzle_t_tags.id,
        r.drizzle_t_items.label,
        r.drizzle_t_tags.name,
      ]),
    prepared: async (label) => (await byLabel.all({ label })).map((r) => r.label),
    labels: async () => (await orm.select().from(items).orderBy(asc(items.id))).map((r) => r.label),
    clear: async () => void (await orm.delete(tags), await orm.delete(items)),
    transaction: (body, config) =>
      orm.transaction(
        (tx) =>
          body({
            insert: async (label) => void (await tx.insert(items).values({ label })),
            rollback: () => tx.rollback(),
            nested: (inner) => tx.transaction((sp) => inner({ insert: async (label) => void (await sp.insert(items).values({ label })) })),
          }),
        config as never,
      ),
    relational: async () =>
      (await orm.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) })).map((r) => ({
        label: r.label,
        tags: r.tags.map((t) => t.name),
      })),
    first: async (label) => (await orm.query.items.findFirst({ where: eq(items.label, label) }))?.label,
  };
}

const OPS: Readonly<Record<EngineName, (db: Database) => Ops>> = { postgres: pgOps, mariadb: mysqlOps, sqlite: sqliteOps };

forEachEngine('leakproof/drizzle', ['mariadb', 'postgres', 'sqlite'], (engine, target) => {
  before(() => runStatements(engine().url, drizzleDdl(engine().name, prefix)));
  after(() => runStatements(engine().url, dropDrizzleTables(prefix)));

  function open(options: Record<string, unknown> = {}): { run: <T>(fn: () => Promise<T>) => Promise<T>; ops: Ops; acquired: () => number } {
    const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0, ...options } });
    return { run: (fn) => dbs.run(fn), ops: OPS[engine().name](dbs.get()), acquired: () => dbs.stats().default!.acquired };
  }

  it('insert, select and a join whose two id columns both survive, on one lease per scope', async () => {
    const { run, ops, acquired } = open();
    const joined = await run(async () => {
      await ops.clear();
      await ops.insert('first');
      await ops.insert('second');
      await ops.tag('second', 'red');
      return ops.joined();
    });
    assert.equal(acquired(), 1);
    assert.equal(joined.length, 1);
    const [itemId, tagItemId, tagId, label, name] = joined[0]!;
    assert.equal(itemId, tagItemId);
    assert.notEqual(tagId, itemId, 'the tag id must be its own, not the item id (a collapsed column)');
    assert.deepEqual([label, name], ['second', 'red']);
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('.prepare() runs with its placeholders filled, again and again', async () => {
    const { run, ops } = open();
    const found = await run(async () => {
      await ops.clear();
      await ops.insert('p1');
      await ops.insert('p2');
      return [await ops.prepared('p1'), await ops.prepared('p2'), await ops.prepared('none')];
    });
    assert.deepEqual(found, [['p1'], ['p2'], []]);
  });

  it('transactions: commit, roll back on a throw and on tx.rollback(), a nested one is a savepoint', async () => {
    const { run, ops } = open();
    const labels = await run(async () => {
      await ops.clear();
      await ops.transaction(async (tx) => {
        await tx.insert('committed');
        await tx.nested(async (sp) => {
          await sp.insert('savepoint kept');
        });
        await tx
          .nested(async (sp) => {
            await sp.insert('savepoint dropped');
            throw new Error('inner failed');
          })
          .catch(() => undefined);
      });
      await ops
        .transaction(async (tx) => {
          await tx.insert('thrown');
          throw new Error('outer failed');
        })
        .catch(() => undefined);
      await ops
        .transaction(async (tx) => {
          await tx.insert('rolled back');
          tx.rollback();
        })
        .catch(() => undefined);
      return ops.labels();
    });
    assert.deepEqual(labels, ['committed', 'savepoint kept']);
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('transaction config is refused with QUERY_BUILDER_UNSUPPORTED', async () => {
    const { run, ops } = open();
    const refused = await run(() => ops.transaction(async () => 1, { isolationLevel: 'serializable' })).catch((error: unknown) => error);
    assert.ok(refused instanceof LeakproofError && refused.code === 'QUERY_BUILDER_UNSUPPORTED', String(refused));
  });

  it('outside a scope each statement leases for itself; strict refuses with NO_SCOPE', async () => {
    const { ops } = open();
    await ops.clear();
    await ops.insert('outside');
    assert.deepEqual(await ops.labels(), ['outside']);
    const strict = open({ strict: true });
    const error = await strict.ops.labels().catch((e: unknown) => e);
    assert.ok(error instanceof LeakproofError && error.code === 'NO_SCOPE', String(error));
    assert.equal(await engine().waitForCount(0), 0);
  });

  it("MySQL: $returningId() and an update's affectedRows come from the statement's own answer", async (t) => {
    if (engine().name !== 'mariadb') return t.skip("$returningId() and the [header, fields] answer are MySQL's");
    const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
    const { items } = mysqlTables(prefix);
    const orm = drizzle(dbs.get(), { dialect: 'mysql' });
    const { ids, header } = await dbs.run(async () => {
      await orm.delete(items);
      const ids = await orm
        .insert(items)
        .values([{ label: 'x1' }, { label: 'x2' }])
        .$returningId();
      const [header] = await orm.update(items).set({ label: 'x' }).where(eq(items.label, 'x1'));
      return { ids, header };
    });
    assert.equal(ids.length, 2);
    assert.equal(ids[1]!.id, ids[0]!.id + 1);
    assert.equal(header.affectedRows, 1);
  });

  // drizzle-orm's iterator is MySQL's only: pg-core and sqlite-core have none.
  if (target === 'mariadb') {
    it("MySQL: mode 'planetscale' runs relational queries with `with` on MariaDB, inside a transaction too", async () => {
      const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
      const { items, tags, ...relations } = mysqlTables(prefix);
      const orm = drizzle(dbs.get(), { schema: { items, tags, ...relations }, dialect: 'mysql', mode: 'planetscale' });
      const labelled = (rows: { label: string; tags: { name: string }[] }[]): { label: string; tags: string[] }[] =>
        rows.map((r) => ({ label: r.label, tags: r.tags.map((t) => t.name) }));
      const read = () => orm.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) });
      const [outside, inside] = await dbs.run(async () => {
        await orm.delete(tags);
        await orm.delete(items);
        await orm.insert(items).values([{ label: 'p1' }, { label: 'p2' }]);
        const [p1] = await orm.select({ id: items.id }).from(items).where(eq(items.label, 'p1'));
        await orm.insert(tags).values([
          { itemId: p1!.id, name: 'a' },
          { itemId: p1!.id, name: 'b' },
        ]);
        return [
          labelled(await read()),
          await orm.transaction(async (tx) => labelled(await tx.query.items.findMany({ with: { tags: true }, orderBy: asc(items.id) }))),
        ];
      });
      const expected = [
        { label: 'p1', tags: ['a', 'b'] },
        { label: 'p2', tags: [] },
      ];
      assert.deepEqual(outside, expected);
      assert.deepEqual(inside, expected);
      await dbs.close();
      assert.equal(await engine().waitForCount(0), 0);
    });

    it('MySQL: .iterator() maps rows as awaiting the query does, placeholders filled, on the scope’s one lease', async () => {
      const dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
      const { items, tags } = mysqlTables(prefix);
      const orm = drizzle(dbs.get(), { dialect: 'mysql' });
      const { awaited, iterated, prepared } = await dbs.run(async () => {
        await orm.delete(tags);
        await orm.delete(items);
        await orm.insert(items).values([{ label: 'i1' }, { label: 'i2' }]);
        const [first] = await orm.select({ id: items.id }).from(items).where(eq(items.label, 'i1'));
        await orm.insert(tags).values({ itemId: first!.id, name: 'red' });
        // A left join: i2's absent tag must come back as null, as drizzle maps it.
        const joined = orm.select().from(items).leftJoin(tags, eq(tags.itemId, items.id)).orderBy(asc(items.id));
        const after = orm
          .select({ label: items.label })
          .from(items)
          .where(gt(items.id, sql.placeholder('id')))
          .prepare();
        return {
          awaited: await joined,
          iterated: await collect(joined.iterator()),
          prepared: await collect(after.iterator({ id: first!.id })),
        };
      });
      assert.equal(iterated.length, 2);
      assert.deepEqual(iterated, awaited);
      assert.equal(iterated[1]!.drizzle_t_tags, null);
      assert.deepEqual(prepared, [{ label: 'i2' }]);
      assert.equal(dbs.stats().default!.acquired, 1);
      await dbs.close();
      assert.equal(await engine().waitForCount(0), 0);
    });

    it('MySQL: leaving an endless .iterator() early stops its statement; the scope goes on, within the budget', async () => {
      const dbs = engine().databases({ default: { url: engine().url, maxConnections: 2, maxLifetime: 0 } });
      const { items } = mysqlTables(prefix);
      const orm = drizzle(dbs.get(), { dialect: 'mysql' });
      let sessions = 0;
      let stillRunning = true;
      const { read, after, inLoop } = await dbs.run(async () => {
        await orm.delete(items);
        await orm.insert(items).values({ label: 'i1' });
        let read = 0;
        let inLoop: unknown;
        // MariaDB's sequence engine makes its rows as they are sent: no client could read them all.
        for await (const row of orm
          .select({ n: sql<number>`seq` })
          .from(sql`seq_1_to_1000000000000`)
          .iterator()) {
          read = row.n;
          if (read === 1)
            inLoop = await orm
              .select()
              .from(items)
              .catch((error: unknown) => error);
          if (read === 50) break;
        }
        sessions = await engine().count();
        const after = await orm.select({ label: items.label }).from(items).where(eq(items.label, 'i1'));
        // On the server: no session of this app still runs the endless statement.
        stillRunning = await engine().statementRunning(/seq_1_to_1000000000000/, 1, 300);
        return { read, after, inLoop };
      });
      assert.equal(read, 50);
      // The connection is the stream's until its last row: a statement inside the loop could never run.
      assert.ok(inLoop instanceof LeakproofError && inLoop.code === 'STREAM_OPEN', String(inLoop));
      assert.deepEqual(after, [{ label: 'i1' }]);
      assert.equal(stillRunning, false, 'the endless statement still runs on the server');
      assert.ok(sessions <= 2, `the server held ${sessions} sessions after the break, over the budget of 2`);
      assert.equal(dbs.stats().default!.acquired, 1);
      await dbs.close();
      assert.equal(await engine().waitForCount(0), 0);
    });
  }

  it('a findFirst, and on SQLite a .get(), that match no row answer undefined, not a row of undefineds', async () => {
    const { run, ops } = open();
    const found = await run(async () => {
      await ops.clear();
      await ops.insert('f1');
      return [await ops.first('f1'), await ops.first('none')];
    });
    assert.deepEqual(found, ['f1', undefined]);
    if (engine().name !== 'sqlite') return;
    const dbs = engine().databases({ default: { url: engine().url } });
    const { items } = sqliteTables(prefix);
    const orm = drizzle(dbs.get(), { dialect: 'sqlite' });
    const rows = await dbs.run(async () => [
      await orm.select().from(items).where(eq(items.label, 'f1')).get(),
      await orm.select().from(items).where(eq(items.label, 'none')).get(),
    ]);
    assert.equal(rows[0]?.label, 'f1');
    assert.equal(rows[1], undefined);
  });

  if (target === 'sqlite') {
    it('SQLite: batch() runs its statements in one transaction, all or none, each answered as alone', async () => {
      const dbs = engine().databases({ default: { url: engine().url } });
      const { items, tags, ...relations } = sqliteTables(prefix);
      const orm = drizzle(dbs.get(), { schema: { items, tags, ...relations }, dialect: 'sqlite' });
      const [inserted, , selected, first] = await dbs.run(async () => {
        await orm.delete(items);
        return orm.batch([
          orm.insert(items).values({ label: 'b1' }).returning({ label: items.label }),
          orm.insert(items).values({ label: 'b2' }),
          orm.select({ label: items.label }).from(items).orderBy(asc(items.id)),
          orm.query.items.findFirst({ where: eq(items.label, 'none') }),
        ]);
      });
      assert.deepEqual(inserted, [{ label: 'b1' }]);
      assert.deepEqual(selected, [{ label: 'b1' }, { label: 'b2' }]);
      assert.equal(first, undefined);
      // The second statement fails (label is NOT NULL): the first is rolled back with it.
      const failed = await dbs
        .run(() => orm.batch([orm.insert(items).values({ label: 'b3' }), orm.insert(items).values({ label: null as unknown as string })]))
        .catch((error: unknown) => error);
      assert.ok(failed instanceof Error && /NOT NULL/i.test(`${failed.message} ${String(failed.cause)}`), String(failed));
      const labels = await dbs.run(() => orm.select({ label: items.label }).from(items).orderBy(asc(items.id)));
      assert.deepEqual(labels, [{ label: 'b1' }, { label: 'b2' }]);
    });
  }

  it("a dialect that is not the alias URL's, or a mode off MySQL, is CONFIG_INVALID", () => {
    const dbs = engine().databases({ default: { url: engine().url } });
    const other = engine().name === 'postgres' ? 'mysql' : 'postgresql';
    const invalid = (error: unknown): boolean => error instanceof LeakproofError && error.code === 'CONFIG_INVALID';
    assert.throws(() => drizzle(dbs.get(), { dialect: other }), invalid);
    if (engine().name !== 'mariadb') assert.throws(() => drizzle(dbs.get(), { mode: 'planetscale' }), invalid);
  });

  it("relational queries with `with` (MariaDB has no LATERAL join: the server refuses drizzle's default mode)", async () => {
    const { run, ops } = open();
    const outcome = await run(async () => {
      await ops.clear();
      await ops.insert('r1');
      await ops.tag('r1', 'a');
      await ops.tag('r1', 'b');
      return ops.relational();
    }).catch((error: unknown) => error);
    if (engine().name === 'mariadb') {
      assert.ok(
        outcome instanceof Error && /syntax|LATERAL/i.test(outcome.message),
        `expected MariaDB to refuse the LATERAL join, got ${String(outcome)}`,
      );
    } else {
      assert.deepEqual(outcome, [{ label: 'r1', tags: ['a', 'b'] }]);
    }
    assert.equal(await engine().waitForCount(0), 0);
  });
});
