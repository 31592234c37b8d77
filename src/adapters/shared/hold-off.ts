/**
 * Holding off a shed connection. A request turned away with `QUEUE_FULL` is answered 503 with
 * `Retry-After`; a client that asks again at once anyway costs the server the parse and the
 * answer of every retry, about what serving a request costs, and a few hundred such clients keep
 * every pass of the event loop so long that the pool's connections are read once per pass: the
 * requests being served slow to a crawl (measured in bench/curves.md: 1 % of the peak rate).
 * So leakproof stops reading that one keep-alive connection for the time it told the client to
 * wait. A client that waits as told never notices; one that does not waits anyway, at no cost to
 * the server; other connections are not touched. HTTP/1 only: an HTTP/2 socket carries every
 * stream of its session.
 *
 * @module
 */
import type { Socket } from 'node:net';
import { LeakproofError } from '../../errors/errors.js';
import type { AnyRequest, AnyResponse } from './any-request.js';

/**
 * Connections held off at once in a process, at most. Each keeps its socket open for its
 * Retry-After, and a client that gives up on a shed connection and opens another leaves the old
 * one held (its close is read only when the hold-off ends): unbounded, a storm of such clients
 * would hold sockets in proportion to the shed rate, up to the process's file limit, where new
 * connections fail. Past the cap a shed connection is read on at once, as without the hold-off.
 */
export const MAX_HELD_OFF = 1000;
let heldOff = 0;

/** Connections of the process held off now. */
export function heldOffConnections(): number {
  return heldOff;
}

/** The option every adapter takes (its default is read by `holdsOffShed`, here only). */
export interface HoldOffOptions {
  /**
   * After a request shed with `QUEUE_FULL` (503 + `Retry-After`) is answered, stop reading its
   * keep-alive connection for that `Retry-After`, so a client retrying at once waits as told
   * instead of costing the server a parse and an answer per retry. HTTP/1 only; other
   * connections are not affected; at most 1000 connections of the process are held off at once
   * (past that a shed connection is read on at once). Default true.
   */
  readonly holdOffShed?: boolean | undefined;
}

export function holdsOffShed(options: HoldOffOptions): boolean {
  return options.holdOffShed ?? true;
}

/** If `error` shed the request (`QUEUE_FULL`), holds its connection off for the `Retry-After` its answer carries. */
export function holdOffIfShed(error: unknown, req: AnyRequest, res: AnyResponse): void {
  if (!(error instanceof LeakproofError) || error.code !== 'QUEUE_FULL') return;
  const seconds = error.retryAfterSeconds;
  if (seconds !== undefined) holdOffConnection(req, res, seconds * 1000);
}

/** Stops reading `req`'s connection for `ms` once `res` has gone out, if the connection is kept alive. */
export function holdOffConnection(req: AnyRequest, res: AnyResponse, ms: number): void {
  if (ms <= 0 || req.httpVersionMajor !== 1 || !keptAlive(req)) return;
  const socket: Socket = req.socket;
  // After the answer is out: node:http resumes a connection while it finishes a response.
  if (res.writableFinished) pauseFor(socket, ms);
  else res.once('finish', () => pauseFor(socket, ms));
}

/** HTTP/1.1 keeps a connection unless told to close; 1.0 only when asked to keep it. */
function keptAlive(req: AnyRequest): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  return req.httpVersionMinor >= 1 ? !connection.includes('close') : connection.includes('keep-alive');
}

function pauseFor(socket: Socket, ms: number): void {
  if (socket.destroyed || heldOff >= MAX_HELD_OFF) return;
  heldOff++;
  socket.pause();
  // The close listener goes when the hold-off ends: a connection shed again and again must not
  // gather one per shed (Node warns past 10, and each holds its timer).
  const onClose = (): void => {
    clearTimeout(timer);
    heldOff--;
  };
  const timer = setTimeout(() => {
    socket.off('close', onClose);
    heldOff--;
    socket.resume();
  }, ms);
  // It must not keep a process alive that is otherwise done, nor outlive the connection.
  timer.unref();
  socket.once('close', onClose);
}
