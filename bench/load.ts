/**
 * The load generator, a child of bench/run.ts in a process of its own: N keep-alive
 * connections, each with one request in flight at a time (like wrk -c N), random ids.
 *
 *   argv: <LoadSettings as JSON>
 *
 * Written on raw `net` sockets rather than node:http's client (or autocannon): on a 2-core
 * machine the load generator shares the CPU with the server and the database, and a client
 * that only writes precomputed request bytes and reads Content-Length costs a fraction of a
 * full HTTP client, leaving more of the machine to the server being measured. It handles the
 * responses our own servers send (Content-Length always set, no pipelining), and fails loudly
 * on anything else.
 *
 * IPC: `measure-start` when the warm-up ends, `measure-end` when the measured window ends
 * (the parent snapshots the server's CPU at both), then `result`.
 *
 * @module
 */
import net from 'node:net';
import { exitWithParent, sendToParent } from './child.js';
import { quantileSorted } from './stats.js';

export interface LoadSettings {
  readonly port: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly itemCount: number;
  /**
   * A client answered 503 with `Retry-After: N` waits N seconds before its next request, as a
   * well-behaved client does; false: it asks again at once (a retry storm, the worst case).
   */
  readonly honorRetryAfter: boolean;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Responses other than 200, and socket errors, inside the measured window. */
  readonly errors: number;
  readonly statuses: Record<string, number>;
  /** 503 answers inside the window that carried a `Retry-After` header (the overload contract). */
  readonly retryAfter503: number;
  /** CPU the load generator itself used during the window, in % of one core. */
  readonly loadCpuPercent: number;
}

type Phase = 'warmup' | 'measure' | 'done';

const HEADER_END = Buffer.from('\r\n\r\n');
/** How long, after the window, in-flight requests may take before sockets are cut. */
const DRAIN_MS = 2000;

/** The latencies of the measured window, in ms, in a growable typed array (no per-sample object). */
class Samples {
  #values = new Float64Array(1 << 16);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  add(ms: number): void {
    if (this.#count === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#count++] = ms;
  }

  sorted(): Float64Array {
    return this.#values.slice(0, this.#count).sort();
  }
}

/** Shared by all connections. */
class Run {
  phase: Phase = 'warmup';
  readonly samples = new Samples();
  readonly statuses: Record<string, number> = {};
  errors = 0;
  retryAfter503 = 0;
  readonly requests: Buffer[];

  constructor(readonly settings: LoadSettings) {
    this.requests = Array.from({ length: settings.itemCount }, (_, i) =>
      Buffer.from(`GET /item?id=${i + 1} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 'latin1'),
    );
  }

  randomRequest(): Buffer {
    return this.requests[Math.floor(Math.random() * this.requests.length)]!;
  }

  record({ status, retryAfter }: Answer, latencyMs: number): void {
    if (this.phase !== 'measure') return;
    this.samples.add(latencyMs);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status !== 200) this.errors++;
    if (status === 503 && retryAfter !== undefined) this.retryAfter503++;
  }
}

/** One keep-alive connection: send, read one response, send the next. */
class Connection {
  readonly #run: Run;
  readonly #socket: net.Socket;
  #pending: Buffer | undefined;
  #sentAt = 0;
  readonly closed: Promise<void>;

  constructor(run: Run) {
    this.#run = run;
    this.#socket = net.connect({ host: '127.0.0.1', port: run.settings.port, noDelay: true });
    this.#socket.on('connect', () => this.#send());
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', () => {
      if (this.#run.phase === 'measure') this.#run.errors++;
    });
    this.closed = new Promise((resolve) => this.#socket.once('close', () => resolve()));
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #send(): void {
    if (this.#run.phase === 'done') {
      this.#socket.end();
      return;
    }
    this.#sentAt = performance.now();
    this.#socket.write(this.#run.randomRequest());
  }

  #onData(chunk: Buffer): void {
    const buffer = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    const answer = completeAnswer(buffer);
    if (answer === undefined) {
      this.#pending = buffer;
      return;
    }
    this.#pending = undefined;
    this.#run.record(answer, performance.now() - this.#sentAt);
    const pause = this.#run.settings.honorRetryAfter && answer.status === 503 ? (answer.retryAfter ?? 0) : 0;
    if (pause > 0) setTimeout(() => this.#send(), pause * 1000);
    else this.#send();
  }
}

const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n');

interface Answer {
  readonly status: number;
  /** The `Retry-After` header's seconds (0 when it says 0 or is not a number), undefined without one. */
  readonly retryAfter: number | undefined;
}

/**
 * The status of the complete response in `buffer` and its `Retry-After` seconds, or
 * undefined while it is incomplete. With one request in flight per connection, the buffer never
 * holds more than one response. Our handlers send Content-Length; leakproof's own error answers
 * (500/503) are chunked.
 */
function completeAnswer(buffer: Buffer): Answer | undefined {
  const headerEnd = buffer.indexOf(HEADER_END);
  if (headerEnd === -1) return undefined;
  const head = buffer.toString('latin1', 0, headerEnd).toLowerCase();
  const bodyStart = headerEnd + HEADER_END.length;
  const at = head.indexOf('\r\ncontent-length:');
  let complete: boolean;
  if (at !== -1) {
    // parseInt skips the leading space and stops at the line's \r.
    const length = Number.parseInt(head.slice(at + '\r\ncontent-length:'.length), 10);
    if (buffer.length > bodyStart + length) throw new Error('unexpected bytes after a response (one request is in flight per connection)');
    complete = buffer.length === bodyStart + length;
  } else if (head.includes('\r\ntransfer-encoding: chunked')) {
    // JSON bodies hold no raw CRLF, so the last-chunk marker can only be the real end.
    complete = buffer.length >= bodyStart + CHUNKED_END.length - 2 && buffer.subarray(-CHUNKED_END.length).equals(CHUNKED_END);
  } else {
    throw new Error(`response with neither Content-Length nor chunked encoding: ${head.split('\r\n')[0]}`);
  }
  if (!complete) return undefined;
  const retryAt = head.indexOf('\r\nretry-after:');
  const seconds = retryAt === -1 ? undefined : Number.parseInt(head.slice(retryAt + '\r\nretry-after:'.length), 10);
  return { status: Number(head.slice(9, 12)), retryAfter: seconds === undefined ? undefined : Number.isFinite(seconds) ? seconds : 0 };
}

async function main(): Promise<void> {
  exitWithParent();
  const settings = JSON.parse(process.argv[2] ?? '{}') as LoadSettings;
  const run = new Run(settings);
  const connections = Array.from({ length: settings.connections }, () => new Connection(run));

  await sleep(settings.warmupMs);
  run.phase = 'measure';
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await sendToParent({ type: 'measure-start' });

  await sleep(settings.measureMs);
  run.phase = 'done';
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await sendToParent({ type: 'measure-end' });

  // Let in-flight requests finish (each connection ends after its response), bounded.
  const drained = Promise.all(connections.map((connection) => connection.closed));
  await Promise.race([drained, sleep(DRAIN_MS)]);
  for (const connection of connections) connection.destroy();

  const sorted = run.samples.sorted();
  const result: LoadResult = {
    requests: run.samples.count,
    seconds,
    rps: run.samples.count / seconds,
    p50Ms: quantileSorted(sorted, 0.5),
    p99Ms: quantileSorted(sorted, 0.99),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    errors: run.errors,
    statuses: run.statuses,
    retryAfter503: run.retryAfter503,
    loadCpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
  };
  await sendToParent({ type: 'result', result });
  process.exit(0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main();
