/**
 * The one SQL connection a sampler needs, behind a shape both drivers fit, so the reconnect and
 * timeout rules live in one place (`SqlSampler`).
 *
 * @module
 */
import type { QueryRows, SessionFilter, SessionReading } from '../../drivers/server-session.js';

export type SqlRow = Record<string, unknown>;

export interface SqlSession {
  /** True once the connection broke or was closed: the next reading opens a new one. */
  readonly dead: boolean;
  query(sql: string, params: readonly unknown[]): Promise<SqlRow[]>;
  /** Ends the connection, destroying it if the server does not answer quickly. */
  close(): Promise<void>;
}

/** A parameterised statement. */
export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** What differs between the SQL sources: the engines, and PgBouncer's admin console. */
export interface SqlDialect {
  open(url: string, timeoutMs: number): Promise<SqlSession>;
  /**
   * A reader of the app's sessions for one connection (the source's own definition, in
   * `src/drivers/<engine>/`); it may remember what that connection may see.
   */
  sessionReader(filter: SessionFilter): (query: QueryRows) => Promise<SessionReading>;
  /** How many sessions the source lets the app open; NaN when it cannot tell. */
  maxConnections(session: SqlSession): Promise<number>;
}

/** Runs a query whose one row has a number in column `n`. */
export async function readNumber(session: SqlSession, { sql, params }: SqlCondition): Promise<number> {
  const [row] = await session.query(sql, params);
  return Number(row?.['n']);
}

/** Resolves `promise`, or rejects after `ms` with a message naming `what`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Ends a connection politely, and destroys it if that takes longer than `ms`. */
export async function closeWithin(end: () => Promise<unknown>, destroy: () => void, ms = 2000): Promise<void> {
  const ended = end().then(
    () => true,
    () => false,
  );
  const timedOut = new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref());
  if (!(await Promise.race([ended, timedOut]))) destroy();
}
