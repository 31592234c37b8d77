/**
 * The fault toolbox: what goes wrong in production, on demand. A session killed from the
 * server side, HTTP clients that leave mid-request (raw sockets, so nothing is retried or
 * tidied up for us), and a plain bounded GET. For a server crash, use `TestServer.kill()` and
 * `restart()`.
 *
 * @module
 */
import { get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect as connectHttp2, constants as http2Constants, type ClientHttp2Session } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminQuery } from './admin-client.js';
import type { TestServer } from './test-server.js';

/** One HTTP/1.1 request written by hand. */
export interface RawRequest {
  /** Default `GET`. */
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent whole, with its `Content-Length`. */
  body?: string | Buffer;
}

/** When to hang up. Without either, right after writing (0 ms). */
export interface AbortTiming {
  /** Hang up this many ms after the request was written. */
  abortAfterMs?: number;
  /** Hang up when this resolves (e.g. once the handler holds a connection). */
  abortWhen?: () => Promise<unknown>;
  /** Bound on `abortWhen`; past it the socket is destroyed anyway and the call rejects. Default 10000. */
  abortWhenTimeoutMs?: number;
  /** Send a TCP RST instead of a FIN. Default false. */
  reset?: boolean;
}

/** What the client had received when it hung up. */
export interface AbortOutcome {
  /** Whether any response byte arrived before the hang-up (if so, the abort came too late to test much). */
  readonly responded: boolean;
  /** Everything received, as latin1 text. */
  readonly received: string;
}

/** The result of `httpGet`. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const HOST = '127.0.0.1';
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Ends a session from the server side, as an administrator or a server-side timeout would:
 * MariaDB `KILL CONNECTION`, PostgreSQL `pg_terminate_backend` (waiting up to 5 s for it).
 * Resolves false if there was no such session. `serverId` is the MariaDB thread id or the
 * PostgreSQL backend pid (`listConnections(...).id`).
 */
export async function killConnection(server: TestServer, serverId: number): Promise<boolean> {
  if (!Number.isSafeInteger(serverId) || serverId <= 0) throw new Error(`not a server session id: ${serverId}`);
  if (server.engine === 'postgres') {
    const [row] = await adminQuery(server, 'SELECT pg_terminate_backend($1, 5000) AS ok', [serverId]);
    return row?.['ok'] === true;
  }
  try {
    // KILL takes no placeholders; the id is a checked integer.
    await adminQuery(server, `KILL CONNECTION ${serverId}`);
    return true;
  } catch (error) {
    if ((error as { errno?: unknown }).errno === 1094) return false; // ER_NO_SUCH_THREAD
    throw error;
  }
}

/**
 * Writes a request on a raw socket and hangs up before reading the response: the client who
 * closes the tab while the handler is still working.
 *
 * @example
 * await abortingRequest({ port, path: '/slow', abortWhen: () => waitForCount(server, 1) });
 */
export async function abortingRequest(options: RawRequest & AbortTiming & { port: number }): Promise<AbortOutcome> {
  const socket = await openSocket(options.port);
  socket.write(formatRequest(options));
  return hangUp(socket, options);
}

/**
 * Sends a POST whose `Content-Length` promises `declaredLength` bytes, writes only `sentBytes`,
 * and hangs up: the upload that dies halfway.
 */
export async function postWithAbortedBody(
  options: AbortTiming & { port: number; path: string; declaredLength: number; sentBytes?: number; headers?: Record<string, string> },
): Promise<AbortOutcome> {
  const sent = Math.min(options.sentBytes ?? 0, options.declaredLength - 1);
  const headers = { 'content-type': 'application/octet-stream', ...options.headers, 'content-length': String(options.declaredLength) };
  const socket = await openSocket(options.port);
  socket.write(formatRequest({ method: 'POST', path: options.path, headers }));
  if (sent > 0) socket.write(Buffer.alloc(sent, 0x78));
  return hangUp(socket, options);
}

/**
 * Writes several requests back to back on one keep-alive socket (HTTP pipelining), then hangs
 * up while the first is still pending: the second request's scope must not outlive the socket.
 */
export async function pipelinedRequests(
  options: AbortTiming & { port: number; requests: readonly RawRequest[]; destroyAfterMs?: number },
): Promise<AbortOutcome> {
  const socket = await openSocket(options.port);
  socket.write(options.requests.map((request) => formatRequest(request, 'keep-alive')).join(''));
  return hangUp(socket, { ...options, abortAfterMs: options.destroyAfterMs ?? options.abortAfterMs });
}

/**
 * GET `http://127.0.0.1:<port><path>` on a fresh connection (no keep-alive agent to leak),
 * rejecting after `timeoutMs` (default 10000).
 */
export function httpGet(
  port: number,
  path: string,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const request = get({ host: HOST, port, path, headers: options.headers, agent: false }, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.setTimeout(timeoutMs, () =>
      request.destroy(new Error(`GET ${path} on port ${port}: no complete response within ${timeoutMs} ms`)),
    );
    request.on('error', reject);
  });
}

/**
 * Sends one request over HTTP/2 without TLS (h2c) and, when `abortWhen` resolves, resets its
 * stream with RST_STREAM CANCEL, as a browser does for a cancelled fetch; then closes the
 * session. A reset arrives at the server as a response that "finished" without ending.
 */
export async function http2Cancel(
  options: AbortTiming & { port: number; path: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<AbortOutcome> {
  const session = await openHttp2(options.port);
  const chunks: Buffer[] = [];
  try {
    const stream = session.request({ ':method': options.method ?? 'GET', ':path': options.path, ...options.headers });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => undefined);
    stream.end(options.body);
    try {
      await waitForAbort(options);
    } finally {
      stream.close(http2Constants.NGHTTP2_CANCEL);
    }
  } finally {
    session.close();
  }
  const received = Buffer.concat(chunks).toString('latin1');
  return { responded: received.length > 0, received };
}

/** One complete HTTP/2 (h2c) GET on a session of its own, rejecting after `timeoutMs` (default 10000). */
export async function http2Get(port: number, path: string, timeoutMs = 10_000): Promise<HttpResponse> {
  const session = await openHttp2(port);
  try {
    return await new Promise<HttpResponse>((resolve, reject) => {
      const stream = session.request({ ':path': path });
      const timer = setTimeout(
        () => stream.destroy(new Error(`h2 GET ${path} on port ${port}: no complete response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const chunks: Buffer[] = [];
      let headers: IncomingHttpHeaders = {};
      stream.on('response', (received) => (headers = received as IncomingHttpHeaders));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
      stream.on('end', () => {
        clearTimeout(timer);
        resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
  } finally {
    session.close();
  }
}

function openHttp2(port: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(`http://${HOST}:${port}`);
    const timer = setTimeout(
      () => session.destroy(new Error(`h2 connect to ${HOST}:${port} timed out after ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    session.once('connect', () => {
      clearTimeout(timer);
      session.off('error', reject);
      session.on('error', () => undefined);
      resolve(session);
    });
    session.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Formats a request; `Connection: close` unless pipelining. */
function formatRequest(request: RawRequest, connection: 'close' | 'keep-alive' = 'close'): string {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: Record<string, string> = { host: HOST, connection, ...request.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `${request.method ?? 'GET'} ${request.path} HTTP/1.1\r\n${head}\r\n${body?.toString('latin1') ?? ''}`;
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect to ${HOST}:${port} timed out after ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Waits as `timing` says, records what arrived meanwhile, then destroys the socket. */
async function hangUp(socket: Socket, timing: AbortTiming): Promise<AbortOutcome> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  // The server may reset us first; that is not the test's failure.
  socket.on('error', () => undefined);
  try {
    await waitForAbort(timing);
  } finally {
    if (timing.reset) socket.resetAndDestroy();
    else socket.destroy();
  }
  const received = Buffer.concat(chunks).toString('latin1');
  return { responded: received.length > 0, received };
}

async function waitForAbort(timing: AbortTiming): Promise<void> {
  if (timing.abortWhen === undefined) {
    await sleep(timing.abortAfterMs ?? 0);
    return;
  }
  const limit = timing.abortWhenTimeoutMs ?? 10_000;
  // Cancelled once the race is decided, so a pending timer never holds the process open.
  const cancel = new AbortController();
  const timeout = sleep(limit, 'timeout' as const, { signal: cancel.signal }).catch(() => 'cancelled' as const);
  try {
    const outcome = await Promise.race([timing.abortWhen().then(() => 'ready' as const), timeout]);
    if (outcome === 'timeout') throw new Error(`abortWhen did not resolve within ${limit} ms (the socket was destroyed anyway)`);
  } finally {
    cancel.abort();
  }
  if (timing.abortAfterMs) await sleep(timing.abortAfterMs);
}
