import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The request body parsed as JSON. When the client leaves mid-upload the stream errors, this
 * rejects, and the handler's connection is released all the same.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

/** `{ "choice": 3 }` → 3. */
export function choiceFrom(body: unknown): number {
  const choice = (body as { choice?: unknown } | null)?.choice;
  if (typeof choice !== 'number' || !Number.isInteger(choice)) throw new HttpError(400, 'send {"choice": <choice id>}');
  return choice;
}
