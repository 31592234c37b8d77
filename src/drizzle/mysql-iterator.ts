/**
 * `.iterator()` on Drizzle's MySQL queries over leakproof, as drizzle-orm/mysql2 has it: the
 * rows read one by one through `db.stream()` (a paused socket, `batchSize` rows held at most),
 * so the stream holds the request's connection until its last row, stops with `REQUEST_ENDED`
 * when the request ends and gives the connection back when the loop is left early. drizzle's
 * proxy session it is built on has no iterator of its own.
 *
 * @module
 */
import { NoopCache } from 'drizzle-orm/cache/core';
import { fillPlaceholders, NoopLogger, type Query } from 'drizzle-orm';
import type { MySqlPreparedQueryConfig } from 'drizzle-orm/mysql-core';
import { PreparedQuery, type MySqlRemoteSession } from 'drizzle-orm/mysql-proxy';
import type { Database } from '../core/database.js';
import { DRIZZLE_ROWS } from './drizzle-rows.js';

type PrepareArgs = Parameters<MySqlRemoteSession<Record<string, unknown>, never>['prepareQuery']>;
type Fields = PrepareArgs[1];
type ResultMapper = PrepareArgs[2];
type Prepared<T extends MySqlPreparedQueryConfig = MySqlPreparedQueryConfig> = PreparedQuery<T>;
type Placeholders = Record<string, unknown> | undefined;

/** Gives `prepared` (made by the session for `query`) an iterator over the scope's connection. */
export function withRowIterator<T extends MySqlPreparedQueryConfig>(
  db: Database,
  prepared: Prepared<T>,
  query: Query,
  fields: Fields,
  mapper: ResultMapper,
): Prepared<T> {
  // drizzle types the rows an iterator yields from the query builder's own result type.
  prepared.iterator = (placeholders?: Placeholders) =>
    iterate(db, prepared, query, fields, mapper, placeholders) as AsyncGenerator<T['iterator']>;
  return prepared;
}

async function* iterate(
  db: Database,
  prepared: Prepared<MySqlPreparedQueryConfig>,
  query: Query,
  fields: Fields,
  mapper: ResultMapper,
  placeholders: Placeholders,
): AsyncGenerator<unknown> {
  const params = fillPlaceholders(query.params, placeholders ?? {});
  if (fields === undefined && mapper === undefined) {
    // A write without returning: its one answer, as drizzle-orm/mysql2 yields the result header.
    const [header] = (await prepared.execute(placeholders)) as [unknown];
    yield header;
    return;
  }
  let current: unknown[] = [];
  const mapRow = rowMapper(prepared, query, fields, mapper, () => current);
  for await (const row of db.stream<unknown[]>(query.sql, params, DRIZZLE_ROWS)) {
    current = row;
    yield await mapRow.execute();
  }
}

/**
 * drizzle's own mapping of one row (its decoders, the nulls of a left join's absent table, a
 * relational query's mapper), applied by a prepared query of the same statement whose
 * "database" answers the row just read (with no parameters: they were sent already). The map of
 * joined tables is set on `prepared` after the session made it, so it is read when the
 * iteration starts.
 */
function rowMapper(
  prepared: Prepared,
  query: Query,
  fields: Fields,
  mapper: ResultMapper,
  row: () => unknown[],
): { execute(): Promise<unknown> } {
  const answer = (): Promise<{ rows: unknown[][] }> => Promise.resolve({ rows: [row()] });
  const one = new PreparedQuery(answer, query.sql, [], new NoopLogger(), new NoopCache(), undefined, undefined, fields, mapper);
  Object.assign(one, { joinsNotNullableMap: (prepared as { joinsNotNullableMap?: unknown }).joinsNotNullableMap });
  return {
    execute: async () => {
      const mapped: unknown = await one.execute();
      // Rows are mapped to an array of one; a mapper that answers one row (findFirst) answers it.
      return Array.isArray(mapped) ? mapped[0] : mapped;
    },
  };
}
