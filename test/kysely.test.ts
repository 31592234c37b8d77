/**
 * leakproof/kysely on every engine: Kysely's own compilers and adapters per engine, statements
 * on the scope's connection, transactions and savepoints as leakproof transactions, streams
 * through db.stream(), the outside-a-scope rule, and refused isolation levels. Counted on the
 * server. The HTTP end paths through Kysely are in adapter-end-paths-*-kysely-*.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Kysely, sql, type Generated } from 'kysely';
import { LeakproofError, type Databases } from '../src/index.js';
import { LeakproofDialect } from '../src/kysely/leakproof-dialect.js';
import { forEachEngine } from './support/engines.js';
import { runStatements } from './support/run-statements.js';
import { eventually } from './support/serve.js';

/** Kysely 0.29 takes per-call options (an AbortSignal); 0.28, run by test/kysely-0.28.test.ts, none. */
const CALL_SIGNALS = Number(kyselyVersion().split('.')[1]) >= 29;

/** The version of the Kysely that `kysely` resolves to here. */
function kyselyVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.resolve('kysely'))); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
    if (name === 'kysely') return version;
  }
  throw new Error('no package.json for kysely');
}

interface ItemTable {
  id: Generated<number>;
  label: string;
}

forEachEngine('leakproof/kysely', ['mariadb', 'postgres', 'sqlite'], (engine) => {
  const table = `kysely_items_${process.pid}`;
  type DB = Record<typeof table, ItemTable>;
  let dbs: Databases;
  let k: Kysely<DB>;

  const admin = (...statements: string[]): Promise<void> => runStatements(engine().url, statements);
  before(() => admin(`DROP TABLE IF EXISTS ${table}`, engine().dialect.createTable(table)));
  after(() => admin(`DROP TABLE IF EXISTS ${table}`));
  // Each test's own alias (closed after it by the engine loop).
  beforeEach(() => {
    dbs = engine().databases({ default: { url: engine().url, maxLifetime: 0 } });
    k = new Kysely<DB>({ dialect: new LeakproofDialect(dbs.get()) });
  });

  const labels = async (): Promise<string[]> =>
    (await dbs.run(() => k.selectFrom(table).select('label').orderBy('id').execute())).map((row) => row.label);
  const clear = (): Promise<unknown> => dbs.run(() => k.deleteFrom(table).execute());

  it('typed insert, select, update and delete on one lease per scope, released at its end', async () => {
    await clear();
    const stats = dbs.stats().default!;
    const acquired = stats.acquired;
    const result = await dbs.run(async () => {
      const inserted = await k
        .insertInto(table)
        .values([{ label: 'a' }, { label: 'b' }])
        .executeTakeFirst();
      const updated = await k.updateTable(table).set({ label: 'c' }).where('label', '=', 'b').executeTakeFirst();
      const rows = await k.selectFrom(table).select(['id', 'label']).orderBy('id').execute();
      const deleted = await k.deleteFrom(table).where('label', '=', 'a').executeTakeFirst();
      return { inserted, updated, rows, deleted };
    });
    assert.equal(result.inserted.numInsertedOrUpdatedRows, 2n);
    assert.equal(result.updated.numUpdatedRows, 1n);
    assert.equal(result.deleted.numDeletedRows, 1n);
    assert.deepEqual(
      result.rows.map((row) => row.label),
      ['a', 'c'],
    );
    assert.equal(typeof result.rows[0]!.id, 'number');
    if (engine().name !== 'postgres') assert.ok(result.inserted.insertId !== undefined, 'no insertId');
    assert.equal(dbs.stats().default!.acquired - acquired, 1, 'one lease for the whole scope');
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('RETURNING where the engine has it', async (t) => {
    if (engine().name === 'mariadb') return t.skip('Kysely compiles no RETURNING for MySQL');
    await clear();
    const row = await dbs.run(() => k.insertInto(table).values({ label: 'r' }).returning(['id', 'label']).executeTakeFirstOrThrow());
    assert.equal(row.label, 'r');
  });

  it('transaction().execute(): commits, and rolls back on a throw', async () => {
    await clear();
    await dbs.run(() =>
      k.transaction().execute(async (trx) => {
        await trx.insertInto(table).values({ label: 'kept' }).execute();
      }),
    );
    const failed = await dbs
      .run(() =>
        k.transaction().execute(async (trx) => {
          await trx.insertInto(table).values({ label: 'dropped' }).execute();
          throw new Error('body failed');
        }),
      )
      .catch((error: unknown) => error);
    assert.match(String(failed), /body failed/);
    assert.deepEqual(await labels(), ['kept']);
  });

  it('startTransaction with savepoints: rollbackToSavepoint drops only what came after it', async () => {
    await clear();
    await dbs.run(async () => {
      const trx = await k.startTransaction().execute();
      await trx.insertInto(table).values({ label: 'outer' }).execute();
      const sp = await trx.savepoint('sp1').execute();
      await sp.insertInto(table).values({ label: 'inner' }).execute();
      const back = await sp.rollbackToSavepoint('sp1').execute();
      const sp2 = await back.savepoint('sp2').execute();
      await sp2.insertInto(table).values({ label: 'second' }).execute();
      const released = await sp2.releaseSavepoint('sp2').execute();
      await released.commit().execute();
    });
    assert.deepEqual(await labels(), ['outer', 'second']);
  });

  it("a startTransaction() never committed: the scope's end releases the connection and rolls it back", async () => {
    await clear();
    await dbs.run(async () => {
      const trx = await k.startTransaction().execute();
      await trx.insertInto(table).values({ label: 'forgotten' }).execute();
    });
    assert.ok(
      await eventually(() => dbs.stats().default!.released === dbs.stats().default!.acquired),
      'the forgotten transaction kept its connection',
    );
    assert.equal(await engine().waitForCount(0), 0);
    assert.deepEqual(await labels(), []);
  });

  it('an isolation level is refused with QUERY_BUILDER_UNSUPPORTED, and nothing is left open', async () => {
    const refused = await dbs
      .run(() =>
        k
          .transaction()
          .setIsolationLevel('serializable')
          .execute(async () => 1),
      )
      .catch((error: unknown) => error);
    assert.ok(refused instanceof LeakproofError && refused.code === 'QUERY_BUILDER_UNSUPPORTED', String(refused));
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('stream() reads through db.stream(), chunk by chunk', async () => {
    await clear();
    await dbs.run(() =>
      k
        .insertInto(table)
        .values(Array.from({ length: 30 }, (_, i) => ({ label: `s${i}` })))
        .execute(),
    );
    const seen = await dbs.run(async () => {
      const out: string[] = [];
      for await (const row of k.selectFrom(table).select('label').orderBy('id').stream(7)) out.push(row.label);
      return out;
    });
    assert.equal(seen.length, 30);
    assert.equal(seen[29], 's29');
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('raw sql`` runs on the scope too; outside a scope each statement leases for itself, and strict refuses', async () => {
    const { rows } = await sql<{ two: number }>`SELECT 1 + 1 AS two`.execute(k);
    assert.equal(Number(rows[0]!.two), 2);
    const strict = engine().databases({ default: { url: engine().url, maxLifetime: 0, strict: true } });
    const sk = new Kysely<DB>({ dialect: new LeakproofDialect(strict.get()) });
    const error = await sk
      .selectFrom(table)
      .selectAll()
      .execute()
      .catch((e: unknown) => e);
    assert.ok(error instanceof LeakproofError && error.code === 'NO_SCOPE', String(error));
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('execute({ signal }): aborting it cancels the statement on the server, not just the wait', async (t) => {
    if (engine().name === 'sqlite') return t.skip('SQLite statements cannot be cancelled');
    if (!CALL_SIGNALS) return t.skip(`Kysely ${kyselyVersion()} takes no per-call signal`);
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const running = dbs
      .run(() => sql`${sql.raw(engine().dialect.sleep(5))}`.execute(k, { signal: controller.signal }))
      .catch((error: unknown) => error);
    assert.ok(await engine().statementRunning(/sleep/i), 'the sleep never ran');
    controller.abort(reason);
    assert.equal(await running, reason, "Kysely rejects with the signal's reason");
    const gone = await eventually(async () => !(await engine().connections()).some((c) => /sleep/i.test(c.query ?? '')), 2000);
    assert.ok(gone, 'the statement still ran on the server 2 s after the abort (it sleeps 5 s)');
    assert.equal(await engine().waitForCount(0), 0);
  });

  it("a transaction one request holds open does not stop another request's statements (no one-connection mutex)", async () => {
    await clear();
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const holder = dbs.run(async () => {
      const trx = await k.startTransaction().execute();
      await trx.insertInto(table).values({ label: 'held' }).execute();
      opened();
      await committing;
      await trx.commit().execute();
    });
    await open;
    // Kysely's mutex (SQLite's adapter declares one connection at a time) would hold this until the commit.
    const other = dbs.run(() => k.selectFrom(table).select('label').execute());
    const first = await Promise.race([other.then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, 5000, 'waited'))]);
    commit();
    await holder;
    assert.equal(first, 'answered', "the other request's statement waited for the open transaction");
    assert.deepEqual(await labels(), ['held']);
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('a transaction outside a scope holds one lease for its whole body', async () => {
    await clear();
    const acquired = dbs.stats().default!.acquired;
    await k.transaction().execute(async (trx) => {
      await trx.insertInto(table).values({ label: 'one' }).execute();
      await trx.insertInto(table).values({ label: 'two' }).execute();
    });
    assert.equal(dbs.stats().default!.acquired - acquired, 1);
    assert.deepEqual(await labels(), ['one', 'two']);
  });
});
