/**
 * How Drizzle over leakproof reads rows, on MySQL/MariaDB and PostgreSQL: as arrays (`all`, a
 * join's columns of the same name both kept), dates, times and intervals as the server's text.
 * Drizzle's date columns parse that text themselves; drizzle-orm/mysql2 and
 * drizzle-orm/node-postgres ask their drivers the same per query (a typeCast, type parsers).
 * The drivers' own parsing would read a pg timestamp without zone, or a date, in the process's
 * zone, and hand MySQL dates to columns that expect strings.
 *
 * @module
 */

/** The rows Drizzle maps. */
export const DRIZZLE_ROWS = { rowMode: 'array', dateStrings: true } as const;

/** The rows of `orm.execute(sql)`, which Drizzle hands on as they are. */
export const DRIZZLE_RAW_ROWS = { dateStrings: true } as const;
