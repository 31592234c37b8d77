/**
 * The shapes undici will not produce, written on a raw socket: a POST whose body never
 * finishes, and two pipelined requests on a socket that dies while the first is pending. The
 * socket is destroyed `abortAfterMs` after the request was written, unless the server had
 * already answered everything by then.
 *
 * @module
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as connectTls } from 'node:tls';
import { parseResponses } from './parse-responses.js';
import { mentionsRefusal } from './refusal.js';
import { errorCode, type RequestOutcome } from './request-outcome.js';
import type { RequestSpec } from './request-spec.js';

type RawShape = 'abort-post-body' | 'pipelined-socket-death';

/** The `Content-Length` an aborted upload promises; only part of it is ever sent. */
const DECLARED_BODY_BYTES = 1024 * 1024;
const SENT_BODY_BYTES = 1024;
/** Enough of the answer to find its status and a refusal message. */
const KEEP_BYTES = 64 * 1024;

/** Sends `shape` on a fresh socket; never rejects. */
export function sendOnRawSocket(spec: RequestSpec, shape: RawShape, stop: AbortSignal): Promise<RequestOutcome> {
  return new Promise((resolve) => new RawExchange(spec, shape, stop, resolve).start());
}

/** One raw-socket request: write, wait `abortAfterMs`, hang up, and judge what came back. */
class RawExchange {
  readonly #spec: RequestSpec;
  readonly #shape: RawShape;
  readonly #stop: AbortSignal;
  readonly #resolve: (outcome: RequestOutcome) => void;
  readonly #socket: Socket;
  readonly #received: Buffer[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #started = performance.now();
  #size = 0;
  #done = false;

  constructor(spec: RequestSpec, shape: RawShape, stop: AbortSignal, resolve: (outcome: RequestOutcome) => void) {
    this.#spec = spec;
    this.#shape = shape;
    this.#stop = stop;
    this.#resolve = resolve;
    this.#socket = openSocket(spec);
  }

  start(): void {
    const socket = this.#socket;
    this.#stop.addEventListener('abort', this.#onStop, { once: true });
    this.#timers.push(setTimeout(() => this.#finish({ kind: 'error', code: 'TIMEOUT', refusal: false }), this.#spec.timeoutMs));
    socket.once(this.#spec.tls ? 'secureConnect' : 'connect', () => this.#send());
    socket.on('data', (chunk: Buffer) => this.#keep(chunk));
    socket.once('error', (error) =>
      this.#finish(this.#size > 0 ? atServerClose(this.#text()) : { kind: 'error', code: errorCode(error), refusal: false }),
    );
    socket.once('close', () => this.#finish(atServerClose(this.#text())));
    if (this.#stop.aborted) this.#onStop();
  }

  readonly #onStop = (): void => this.#finish({ kind: 'error', code: 'STOPPED', refusal: false });

  #send(): void {
    this.#socket.write(this.#shape === 'abort-post-body' ? partialUpload(this.#spec) : pipelinedPair(this.#spec));
    const expected = this.#shape === 'abort-post-body' ? 1 : 2;
    this.#timers.push(setTimeout(() => this.#finish(atHangUp(this.#text(), expected, this.#shape)), this.#spec.abortAfterMs));
  }

  #keep(chunk: Buffer): void {
    if (this.#size < KEEP_BYTES) this.#received.push(chunk);
    this.#size += chunk.length;
  }

  #text(): string {
    return Buffer.concat(this.#received).toString('latin1');
  }

  #finish(outcome: RequestOutcome): void {
    if (this.#done) return;
    this.#done = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#stop.removeEventListener('abort', this.#onStop);
    this.#socket.destroy();
    this.#resolve(outcome.kind === 'response' ? { ...outcome, latencyMs: performance.now() - this.#started } : outcome);
  }
}

function openSocket(spec: RequestSpec): Socket {
  const socket = spec.tls
    ? connectTls({ host: spec.hostname, port: spec.port, servername: spec.hostname, ALPNProtocols: ['http/1.1'] })
    : connectTcp({ host: spec.hostname, port: spec.port });
  socket.setNoDelay(true);
  return socket;
}

/** When the probe hangs up: a disconnect, unless every request was already answered. */
function atHangUp(data: string, expected: number, shape: RawShape): RequestOutcome {
  const { complete, firstStatus } = parseResponses(data);
  if (complete < expected || firstStatus === undefined) return { kind: 'disconnect', shape };
  return { kind: 'response', status: firstStatus, refusal: firstStatus >= 400 && mentionsRefusal(data), latencyMs: 0 };
}

/** When the server closed first: its answer if it sent one, else an error. */
function atServerClose(data: string): RequestOutcome {
  const { complete, firstStatus } = parseResponses(data);
  if (complete > 0 && firstStatus !== undefined) {
    return { kind: 'response', status: firstStatus, refusal: firstStatus >= 400 && mentionsRefusal(data), latencyMs: 0 };
  }
  return { kind: 'error', code: 'SOCKET_CLOSED', refusal: mentionsRefusal(data) };
}

/** Headers promising a large body, then the start of it. */
function partialUpload(spec: RequestSpec): Buffer {
  const method = spec.method === 'GET' || spec.method === 'HEAD' ? 'POST' : spec.method;
  const body = spec.body === undefined ? Buffer.alloc(SENT_BODY_BYTES, 0x78) : Buffer.from(spec.body);
  const declared = Math.max(DECLARED_BODY_BYTES, body.length * 2);
  const headers = { 'content-type': 'application/octet-stream', ...spec.headers, 'content-length': String(declared) };
  return Buffer.concat([head(spec, method, headers, 'close'), body.subarray(0, Math.min(body.length, declared / 2))]);
}

/** The configured request twice, back to back on one keep-alive connection. */
function pipelinedPair(spec: RequestSpec): Buffer {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const headers = body === undefined ? { ...spec.headers } : { ...spec.headers, 'content-length': String(body.length) };
  const one = Buffer.concat([head(spec, spec.method, headers, 'keep-alive'), body ?? Buffer.alloc(0)]);
  return Buffer.concat([one, one]);
}

function head(spec: RequestSpec, method: string, headers: Record<string, string>, connection: string): Buffer {
  const all: Record<string, string> = { host: spec.host, 'user-agent': 'leakproof-probe', ...headers, connection };
  const lines = Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return Buffer.from(`${method} ${spec.path} HTTP/1.1\r\n${lines}\r\n`, 'latin1');
}
