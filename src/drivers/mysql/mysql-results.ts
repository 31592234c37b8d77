import type { ArrayResult, ExecuteResult, FieldInfo, ReadOptions } from '../driver.js';

/**
 * Shapes the results of mysql2 (`ResultSetHeader`) and the mariadb connector (`OkPacket`), which
 * both answer a statement without rows with `{ affectedRows, insertId }` and a SELECT with an
 * array of rows.
 *
 * @module
 */

interface OkResult {
  readonly affectedRows: number | bigint;
  readonly insertId: number | bigint;
  /** mysql2 only, read from the server's info message ("Rows matched: 2  Changed: 1"). */
  readonly changedRows?: number;
}

/**
 * A statement's options with `dateStrings` only when asked for: the mariadb connector lets a
 * statement's options override the connection's, so an explicit false would undo a
 * `driver: { dateStrings: true }`.
 */
export function datesAsAsked<O extends object>(options: O, read: ReadOptions | undefined): O {
  return read?.dateStrings === true ? { ...options, dateStrings: true } : options;
}

/** Rows of a plain SELECT; for a CALL (row sets, then an OK result) the last row set; `[]` without rows. */
export function lastRowSet(result: unknown): Record<string, unknown>[] {
  if (!Array.isArray(result)) return [];
  if (!result.some(Array.isArray)) return result as Record<string, unknown>[];
  const sets = result.filter(Array.isArray);
  return (sets[sets.length - 1] ?? []) as Record<string, unknown>[];
}

/**
 * Rows read as arrays (`rowsAsArray`): every row of a plain SELECT is an array too, so a CALL
 * (row sets, then its OK result) is told apart by the OK result, not by nested arrays.
 */
export function arrayResult(result: unknown, fields: unknown): ArrayResult {
  if (!Array.isArray(result)) return { rows: [], fields: [] };
  if (!result.some(isOkResult)) return { rows: result as unknown[][], fields: fieldsOf(fields ?? (result as { meta?: unknown }).meta) };
  const sets = result.filter(Array.isArray) as unknown[][][];
  const last = sets[sets.length - 1] ?? [];
  return { rows: last, fields: fieldsOf(lastSet(fields) ?? (last as { meta?: unknown }).meta) };
}

/** mysql2 gives one field list per row set of a CALL (undefined for its OK result). */
function lastSet(fields: unknown): unknown {
  if (!Array.isArray(fields) || !fields.some(Array.isArray)) return fields;
  return fields.filter(Array.isArray).at(-1);
}

/** Column names of mysql2's `FieldPacket`s (`name` a string) or the mariadb connector's `meta` (`name()` a method). */
export function fieldsOf(columns: unknown): FieldInfo[] {
  if (!Array.isArray(columns)) return [];
  return columns.map((column: { name?: unknown }) => ({
    name: typeof column.name === 'function' ? String((column.name as () => unknown).call(column)) : String(column.name),
  }));
}

/** A CALL answers its row sets followed by the OK result of the call itself: use that one. */
export function toExecuteResult(result: unknown): ExecuteResult {
  const last: unknown = Array.isArray(result) ? result.findLast(isOkResult) : result;
  const ok = isOkResult(last) ? last : undefined;
  const rowsAffected = Number(ok?.affectedRows ?? 0);
  const insertId = generatedId(ok?.insertId);
  // One object either way: this runs for every db.execute on MySQL.
  return typeof ok?.changedRows === 'number' ? { rowsAffected, insertId, rowsChanged: ok.changedRows } : { rowsAffected, insertId };
}

function isOkResult(result: unknown): result is OkResult {
  return typeof result === 'object' && result !== null && !Array.isArray(result) && 'affectedRows' in result;
}

/**
 * MySQL reports 0 when no id was generated, so 0 becomes `undefined`. The mariadb connector
 * returns a BigInt: a number when it fits, as mysql2 returns.
 */
function generatedId(insertId: number | bigint | undefined): number | bigint | undefined {
  if (insertId === undefined || insertId === 0 || insertId === 0n) return undefined;
  if (typeof insertId === 'bigint' && insertId <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(insertId);
  return insertId;
}
