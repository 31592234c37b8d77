/**
 * What the tests that hold leakproof to a library's own driver share: reading a stream whole,
 * what a call was rejected with, the mariadb connector's messages without their connection id,
 * and the alias options for each MySQL client.
 */
import type { AliasOptions } from '../../src/index.js';

/** Every row of `rows`, in order. */
export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** What `run` was rejected with; undefined if it settled with a value. */
export function rejectionOf(run: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(run).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** The mariadb connector names its connection in each message (`(conn:18, …)`): another connection, the same error. */
export function withoutConnectionId(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/\(conn:\d+,/, '(conn:N,') : value;
}

/**
 * The alias options that pick a MySQL client. The mariadb connector answers a BIGINT (a raw
 * COUNT(*)) as a BigInt unless told otherwise, mysql2 as a number: docs/query-builders.md says to
 * set this, and so do these tests.
 */
export function mysqlClientOptions(client: 'mysql2' | 'mariadb' | undefined): Partial<AliasOptions> {
  if (client === undefined) return {};
  return client === 'mariadb' ? { client, driver: { bigIntAsNumber: true } } : { client };
}
