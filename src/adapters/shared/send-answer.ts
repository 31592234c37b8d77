import type { ErrorAnswer } from '../../errors/errors.js';
import type { AnyResponse } from './any-request.js';

/** The answer for an error that is not leakproof's: a bare 500, nothing about the error. */
export const INTERNAL_ERROR_ANSWER: ErrorAnswer = {
  status: 500,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ error: 'INTERNAL_SERVER_ERROR' }),
};

/**
 * Sends `answer` on a raw response if nothing was sent yet; cuts a response that has started
 * off instead (the client must not take half a body for a whole one); does nothing to one
 * that has ended.
 */
export function sendAnswer(res: AnyResponse, answer: ErrorAnswer): void {
  if (res.writableEnded || res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  (res as { writeHead(status: number, headers: Readonly<Record<string, string>>): unknown }).writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
