import type { Submittable } from 'pg';
import { detached } from '../detached.js';
import { LeakproofError, UsageError } from '../../errors/errors.js';
import type { DriverRow, DriverRowStream, FieldInfo } from '../driver.js';
import { importPackage } from '../import-package.js';

type Row = DriverRow;

/** The part of pg-cursor used here (the package ships no types). */
export interface Cursor extends Submittable {
  read(rows: number): Promise<Row[]>;
  close(): Promise<void>;
}

/** Rows as arrays, and the statement's own type parsers (pg's `types`), as pg's queries take them. */
interface CursorConfig {
  readonly rowMode?: 'array';
  readonly types?: unknown;
}

type CursorConstructor = new (text: string, values: unknown[] | undefined, config?: CursorConfig) => Cursor;

/** pg-cursor keeps the RowDescription on its result object; it has no public accessor. */
interface CursorInternals {
  _result?: { fields?: readonly { name: string }[] };
}

let loading: Promise<CursorConstructor> | undefined;

/**
 * Loads pg-cursor (an optional peer dependency) on the first stream. A failed load is not
 * cached, so installing the package and retrying works without a restart.
 */
export function loadCursor(): Promise<CursorConstructor> {
  // Kept for the life of the process, so made outside the request that asks first.
  loading ??= detached(() =>
    importPackage<CursorConstructor>('pg-cursor', 'postgres').catch((error: unknown) => {
      loading = undefined;
      throw error instanceof LeakproofError && error.code === 'DRIVER_MISSING'
        ? new UsageError(
            'DRIVER_MISSING',
            'db.stream() on PostgreSQL reads through a cursor, which needs the "pg-cursor" package; run: npm install pg-cursor',
            { cause: error },
          )
        : error;
    }),
  );
  return loading;
}

/**
 * A PostgreSQL result read through a pg-cursor portal: each `read()` is one Execute for
 * `batchSize` rows, so the server keeps the rest and the client never holds more than one
 * batch. (pg's own `Query` emits rows as fast as the socket delivers them, with no way to
 * pause it but the socket itself, and could only be stopped early by reading everything.)
 * Closing sends Close and Sync: the portal is dropped on the server and the connection is
 * ready for the next statement, so early stops never cost the connection.
 */
export class PgRowStream implements DriverRowStream {
  readonly #cursor: Cursor;
  readonly #batchSize: number;
  readonly #onError: (error: unknown) => void;
  #reading: Promise<Row[]> | undefined;
  #over = false;
  fields: readonly FieldInfo[] | undefined;

  constructor(cursor: Cursor, batchSize: number, onError: (error: unknown) => void) {
    this.#cursor = cursor;
    this.#batchSize = batchSize;
    this.#onError = onError;
  }

  get closesCleanly(): boolean {
    return true;
  }

  async read(): Promise<Row[] | undefined> {
    if (this.#over) return undefined;
    const reading = this.#cursor.read(this.#batchSize);
    this.#reading = reading;
    try {
      const rows = await reading;
      this.fields ??= (this.#cursor as CursorInternals)._result?.fields?.map(({ name }) => ({ name }));
      if (rows.length > 0) return rows;
      this.#over = true;
      return undefined;
    } catch (error) {
      // pg-cursor has sent Sync after the error: the portal is gone, nothing is left to close.
      this.#over = true;
      this.#onError(error);
      throw error;
    } finally {
      this.#reading = undefined;
    }
  }

  async close(): Promise<void> {
    await this.#reading?.catch(() => undefined);
    if (this.#over) return;
    this.#over = true;
    await this.#cursor.close();
  }
}
