/**
 * Tracks the MySQL server status flags that mysql2 reads but does not keep.
 *
 * Every OK and EOF packet carries the server's status flags, `SERVER_STATUS_IN_TRANS` among them,
 * so "is this session inside a transaction?" costs no round trip. The mariadb connector keeps
 * them in `conn.info.status`; mysql2 (3.x, checked up to 3.24) only parses them into each
 * `ResultSetHeader` and drops the ones on the EOF that ends a result set. So this module watches
 * the packets of one connection by wrapping that connection's own `handlePacket` (an instance
 * property; mysql2's prototype and other connections are untouched).
 *
 * It relies on mysql2 internals that have been stable through 2.x and 3.x: `handlePacket(packet)`
 * called for every packet, `_command` (the command the packet belongs to), `_paused`,
 * `authorized`, and packets shaped `{ buffer, start, end }` with a 4-byte header. If they are
 * missing, `inTransaction` answers `true`, which costs the pool one needless ROLLBACK per release
 * but never hands out a connection with an open transaction.
 *
 * This works because leakproof sends everything over the text protocol (`query`, never
 * `execute`): there, a response starts with an OK (0x00), ERR (0xff), LOCAL INFILE (0xfb) or a
 * column count, and rows never start with 0x00 as binary-protocol rows do.
 *
 * @module
 */

const SERVER_STATUS_IN_TRANS = 0x0001;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;
const SERVER_MORE_RESULTS_EXISTS = 0x0008;

const OK_MARKER = 0x00;
const EOF_MARKER = 0xfe;
const ERR_MARKER = 0xff;
const PACKET_HEADER_BYTES = 4;

interface RawPacket {
  readonly buffer: Buffer;
  readonly start: number;
  readonly end: number;
}

interface Mysql2Internals {
  handlePacket?: (packet?: RawPacket) => unknown;
  _command?: unknown;
  _paused?: boolean;
  authorized?: boolean;
}

/**
 * Marks a command object as seen by one tracker. A mark on the command, not a reference to it
 * in the tracker: the command's callbacks belong to the request that sent it, and an idle
 * connection must not keep the last request alive.
 */
const SEEN_BY = Symbol('leakproof.statusTracker');

export class ServerStatusTracker {
  #status = SERVER_STATUS_AUTOCOMMIT;
  #attached = false;
  /** The next packet starts a result (first packet of a command, or after MORE_RESULTS_EXISTS). */
  #atResultStart = true;

  /** Starts watching `connection`; call before its handshake completes. */
  static attach(connection: object): ServerStatusTracker {
    const tracker = new ServerStatusTracker();
    const internals = connection as Mysql2Internals;
    const handlePacket = internals.handlePacket;
    if (typeof handlePacket !== 'function') return tracker;
    internals.handlePacket = function watchedHandlePacket(this: unknown, packet?: RawPacket) {
      tracker.#observe(internals, packet);
      return handlePacket.call(this, packet);
    };
    tracker.#attached = true;
    return tracker;
  }

  get inTransaction(): boolean {
    return !this.#attached || (this.#status & SERVER_STATUS_IN_TRANS) !== 0;
  }

  #observe(connection: Mysql2Internals, packet: RawPacket | undefined): void {
    // Paused packets are queued and handed to handlePacket again on resume; see them once.
    if (packet === undefined || connection._paused === true || connection.authorized !== true) return;
    const command = connection._command;
    if (typeof command === 'object' && command !== null && (command as Record<symbol, unknown>)[SEEN_BY] !== this) {
      (command as Record<symbol, unknown>)[SEEN_BY] = this;
      this.#atResultStart = true;
    }
    this.#read(packet);
  }

  #read(packet: RawPacket): void {
    const payload = packet.start + PACKET_HEADER_BYTES;
    const length = packet.end - payload;
    const marker = packet.buffer[payload];
    if (marker === ERR_MARKER) return this.#onError();
    // A text row can start with 0xfe only with an 8-byte length, so a short 0xfe packet is an EOF
    // (5 bytes) or, with CLIENT_DEPRECATE_EOF, an OK packet with the 0xfe header.
    if (marker === EOF_MARKER && length < 9) {
      return this.#setStatus(length === 5 ? packet.buffer.readUInt16LE(payload + 3) : okStatus(packet, payload));
    }
    if (marker === OK_MARKER && this.#atResultStart) return this.#setStatus(okStatus(packet, payload));
    this.#atResultStart = false;
  }

  #setStatus(status: number | undefined): void {
    if (status === undefined) return;
    this.#status = status;
    this.#atResultStart = (status & SERVER_MORE_RESULTS_EXISTS) !== 0;
  }

  /**
   * ERR packets carry no status. With autocommit off the failed statement may have opened a
   * transaction, so assume it did (the mariadb connector assumes so after every error).
   */
  #onError(): void {
    this.#atResultStart = false;
    if ((this.#status & SERVER_STATUS_AUTOCOMMIT) === 0) this.#status |= SERVER_STATUS_IN_TRANS;
  }
}

/** The status flags of an OK packet: after the marker, affected rows and insert id (length-encoded). */
function okStatus(packet: RawPacket, payload: number): number | undefined {
  let offset = payload + 1;
  offset += lengthEncodedSize(packet.buffer[offset]);
  offset += lengthEncodedSize(packet.buffer[offset]);
  return offset + 2 <= packet.end ? packet.buffer.readUInt16LE(offset) : undefined;
}

function lengthEncodedSize(firstByte: number | undefined): number {
  if (firstByte === 0xfc) return 3;
  if (firstByte === 0xfd) return 4;
  if (firstByte === 0xfe) return 9;
  return 1;
}
