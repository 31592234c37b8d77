/**
 * The HTTP request a scope serves, as adapters give it: named in messages and leak reports
 * (the `leak` event's `method` and `path`). The path carries no query string: it may hold
 * tokens, and leak reports go to logs.
 */
export interface RequestInfo {
  readonly method: string;
  readonly path: string;
}

/** `GET /polls/1`: how messages name a request. */
export function requestText(request: RequestInfo): string {
  return `${request.method} ${request.path}`;
}

/** A path as a label may show it: without its query string. */
export function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
