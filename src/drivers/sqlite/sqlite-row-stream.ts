import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DriverRow, DriverRowStream, FieldInfo } from '../driver.js';

type Row = DriverRow;

/**
 * A SQLite result read through better-sqlite3's `statement.iterate()`, which steps the
 * statement only as rows are asked for. Each `read()` after the first waits for the next turn
 * of the event loop, then steps one batch synchronously, so only one batch is ever held and
 * the server goes on serving: a resolved promise alone would let a loop that never awaits I/O
 * (writing rows to a response without backpressure) run forever and starve every socket. Closing early resets the
 * statement (`return()` on the iterator): nothing is left to read and the handle is free.
 */
export class SqliteRowStream implements DriverRowStream {
  #rows: Iterator<Row> | undefined;
  /** The first batch, read when the stream was opened so that SQLITE_BUSY surfaces where it is retried. */
  #first: Row[] | undefined;
  readonly #batchSize: number;
  readonly #onError: (error: unknown) => void;
  readonly fields: readonly FieldInfo[];

  private constructor(rows: Iterator<Row> | undefined, batchSize: number, fields: readonly FieldInfo[], onError: (error: unknown) => void) {
    this.#rows = rows;
    this.fields = fields;
    this.#batchSize = batchSize;
    this.#onError = onError;
  }

  /** Opens the stream and steps its first batch now; throws what the first step throws. */
  static open(rows: Iterator<Row>, batchSize: number, fields: readonly FieldInfo[], onError: (error: unknown) => void): SqliteRowStream {
    const stream = new SqliteRowStream(rows, batchSize, fields, onError);
    stream.#first = stream.#take();
    return stream;
  }

  /** A statement without rows (it has run already). */
  static empty(): SqliteRowStream {
    return new SqliteRowStream(undefined, 1, [], () => {});
  }

  get closesCleanly(): boolean {
    return true;
  }

  async read(): Promise<Row[] | undefined> {
    const first = this.#first;
    this.#first = undefined;
    if (first === undefined) await nextTurn();
    const rows = first ?? this.#readBatch();
    return rows.length > 0 ? rows : undefined;
  }

  async close(): Promise<void> {
    const rows = this.#rows;
    this.#rows = undefined;
    rows?.return?.();
  }

  #readBatch(): Row[] {
    try {
      return this.#take();
    } catch (error) {
      this.#rows = undefined;
      this.#onError(error);
      throw error;
    }
  }

  #take(): Row[] {
    const batch: Row[] = [];
    const rows = this.#rows;
    while (rows !== undefined && batch.length < this.#batchSize) {
      const step = rows.next();
      if (step.done === true) {
        this.#rows = undefined;
        break;
      }
      batch.push(step.value);
    }
    return batch;
  }
}
