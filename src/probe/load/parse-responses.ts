/**
 * Just enough HTTP/1.1 response parsing for the raw-socket shapes to tell whether the server had
 * already answered everything it was asked before the probe hung up.
 *
 * @module
 */

export interface ParsedResponses {
  /** Responses received whole. */
  readonly complete: number;
  /** The status of the first response, once its status line arrived. */
  readonly firstStatus: number | undefined;
}

const HEAD_END = '\r\n\r\n';

/**
 * Counts the complete responses at the start of `data` (latin1 text). A response without a
 * length that is not chunked ends only when the socket closes, so it never counts as complete.
 */
export function parseResponses(data: string): ParsedResponses {
  const firstStatus = statusOf(data);
  let complete = 0;
  let offset = 0;
  for (let guard = 0; guard < 100; guard++) {
    const end = responseEnd(data, offset);
    if (end === undefined) break;
    complete++;
    offset = end;
  }
  return { complete, firstStatus };
}

function statusOf(data: string): number | undefined {
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(data);
  return match ? Number(match[1]) : undefined;
}

/** Where the response starting at `offset` ends, or undefined if it is incomplete. */
function responseEnd(data: string, offset: number): number | undefined {
  const headEnd = data.indexOf(HEAD_END, offset);
  if (headEnd < 0) return undefined;
  const head = data.slice(offset, headEnd).toLowerCase();
  const bodyStart = headEnd + HEAD_END.length;
  const status = statusOf(data.slice(offset)) ?? 0;
  // 1xx, 204 and 304 have no body.
  if (status < 200 || status === 204 || status === 304) return bodyStart;
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return bodyStart + Number(length[1]) <= data.length ? bodyStart + Number(length[1]) : undefined;
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
    const last = data.indexOf('\r\n0\r\n\r\n', bodyStart - 2);
    return last < 0 ? undefined : last + 7;
  }
  return undefined;
}
