import type { Readable } from 'node:stream';
import type { DriverRow, DriverRowStream, FieldInfo } from '../driver.js';
import { SIDE_CHANNEL_TIMEOUT_MS } from '../time-bound.js';
import { classifyMysqlError } from './mysql-errors.js';
import { fieldsOf } from './mysql-results.js';

/**
 * Rows read and dropped when a stream is closed early, before the statement is killed instead.
 * A short rest (a `LIMIT 50` read to row 10) costs less to read than a side connection.
 */
const DRAIN_LIMIT = 1000;

type Row = DriverRow;

/** No connection of the pool could carry the KILL QUERY in time. */
class CancelNotSent extends Error {
  constructor() {
    super('the statement could not be cancelled: no connection of the pool was free to send KILL QUERY');
  }
}

/**
 * A MySQL-family result read through the driver's object-mode `Readable` (mysql2's
 * `query().stream()`, the mariadb connector's `queryStream()`). Both pause the socket while
 * the stream's buffer is full, so TCP backpressure holds the server at most a socket buffer
 * ahead of the reader, and resume it as rows are read.
 *
 * The protocol cannot abandon a result set: the rest must be read, or the statement killed.
 * So an early `close()` reads up to DRAIN_LIMIT rows, then sends `KILL QUERY` (on another
 * connection of the pool) and reads what is still in flight, until the server's end of result
 * or its "interrupted" error (1317). If no connection can carry the KILL, it reads on for
 * SIDE_CHANNEL_TIMEOUT_MS and then rejects, and the connection is given up. A `KILL QUERY`
 * that arrives after its statement finished is harmless: the server resets it when the next
 * command starts.
 */
export class MysqlRowStream implements DriverRowStream {
  readonly #rows: Readable;
  readonly #batchSize: number;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  fields: readonly FieldInfo[] | undefined;

  constructor(rows: Readable, batchSize: number) {
    this.#rows = rows;
    this.#batchSize = batchSize;
    // Both drivers emit the columns on the stream before its first row.
    rows.once('fields', (columns: unknown) => (this.fields = fieldsOf(columns)));
    rows.on('readable', () => this.#notify());
    rows.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    // Always listened to: an error with no listener would crash the process.
    rows.on('error', (error: Error) => {
      this.#error ??= error;
      this.#notify();
    });
  }

  get closesCleanly(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  async read(): Promise<Row[] | undefined> {
    for (;;) {
      const rows = this.#take();
      if (rows.length > 0) return rows;
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async close(cancel: () => Promise<boolean>): Promise<void> {
    try {
      if (this.closesCleanly || (await this.#drain(DRAIN_LIMIT))) return;
      if (await cancel()) return void (await this.#drain(Infinity));
      // No connection could carry the KILL: read on for a while, since the rest may be short;
      // it may also be endless, so past that the connection is given up instead.
      if (!(await this.#drainFor(SIDE_CHANNEL_TIMEOUT_MS))) throw new CancelNotSent();
    } catch (error) {
      if (error instanceof CancelNotSent) throw error;
      // The statement failed or was killed (1317): its result is over and the session is fine.
      if (classifyMysqlError(error) === 'connection') throw error;
    }
  }

  /** Reads and drops rows; true if the result ended within `limit` rows. */
  async #drain(limit: number): Promise<boolean> {
    for (let dropped = 0; dropped < limit;) {
      const rows = await this.read();
      if (rows === undefined) return true;
      dropped += rows.length;
    }
    return false;
  }

  /** Reads and drops rows for at most `ms`; true if the result ended meanwhile. */
  async #drainFor(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if ((await this.read()) === undefined) return true;
    }
    return false;
  }

  /** Up to a batch of the rows the Readable holds; reading below its high-water mark resumes the socket. */
  #take(): Row[] {
    const rows: Row[] = [];
    while (rows.length < this.#batchSize) {
      const row = this.#rows.read() as Row | null;
      if (row === null) break;
      rows.push(row);
    }
    return rows;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
