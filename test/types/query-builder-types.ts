/**
 * Type-level checks, compiled by `npm run typecheck` (never run): `rowMode: 'array'` rows are
 * typed arrays with `fields`, and Kysely and Drizzle over leakproof type their results from
 * the `Database` interface and the schema, with no `any` at the boundary.
 */
import { Kysely, type Generated } from 'kysely';
import { eq } from 'drizzle-orm';
import { pgTable, serial, text } from 'drizzle-orm/pg-core';
import { createDatabases, type FieldInfo } from '../../src/index.js';
import { LeakproofDialect } from '../../src/kysely/leakproof-dialect.js';
import { drizzle } from '../../src/drizzle/drizzle.js';

const db = createDatabases({ default: 'sqlite:./never-opened.sqlite3' }).get();

/** `0 extends 1 & T` holds only for `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;
const notAny = <T>(_value: T, ..._proof: IsAny<T> extends true ? [never] : []): void => {};
// @ts-expect-error the check itself: JSON.parse answers any
notAny(JSON.parse('1'));

export async function arrayRows(): Promise<number> {
  const rows = await db.query<[number, string]>('SELECT 1 AS id, 2 AS id', [], { rowMode: 'array' });
  const fields: readonly FieldInfo[] = rows.fields;
  const [first] = rows;
  // @ts-expect-error the second column is a string
  const wrong: number | undefined = first?.[1];
  void wrong;
  return (first?.[0] ?? 0) + fields.length;
}

interface Database {
  poll: { id: Generated<number>; question: string };
}

export async function kyselyResults(): Promise<string> {
  const kysely = new Kysely<Database>({ dialect: new LeakproofDialect(db) });
  const row = await kysely.selectFrom('poll').select(['id', 'question']).executeTakeFirstOrThrow();
  notAny(row.id);
  const id: number = row.id;
  // @ts-expect-error no such column in Database
  await kysely.selectFrom('poll').select('votes').execute();
  return `${id}${row.question}`;
}

const poll = pgTable('poll', { id: serial('id').primaryKey(), question: text('question').notNull() });

export async function drizzleResults(): Promise<string> {
  const orm = drizzle(db, { schema: { poll }, dialect: 'postgresql' });
  const [row] = await orm.select().from(poll).where(eq(poll.id, 1));
  notAny(row);
  const question: string | undefined = row?.question;
  // @ts-expect-error the rows are typed: no such column
  void row?.votes;
  const found = await orm.query.poll.findFirst({ where: eq(poll.id, 1) });
  notAny(found);
  return `${question ?? ''}${found?.question ?? ''}`;
}
