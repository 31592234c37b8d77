import { HttpError } from './http-error.js';

/** A question id from a path segment, or a 404: ids are positive integers. */
export function questionId(raw: string | undefined): number {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0) throw new HttpError(404, `no question ${raw ?? ''}`);
  return id;
}
