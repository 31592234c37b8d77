/**
 * The request the probe sends, split the way both clients (undici and raw sockets) need it.
 *
 * @module
 */

export interface RequestSpec {
  /** `http://host:port` or `https://host:port`. */
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  readonly tls: boolean;
  /** The `Host` header value. */
  readonly host: string;
  /** Path and query string. */
  readonly path: string;
  readonly method: string;
  /** Header names lower-case, values unmasked. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly timeoutMs: number;
  readonly abortAfterMs: number;
}

/** Builds the spec from the target URL as given (credentials in it become Basic auth). */
export function requestSpec(
  targetUrl: string,
  options: { method: string; headers: Readonly<Record<string, string>>; body: string | undefined; timeoutMs: number; abortAfterMs: number },
): RequestSpec {
  const url = new URL(targetUrl);
  const tls = url.protocol === 'https:';
  const headers: Record<string, string> = { ...options.headers };
  if (url.username !== '' && headers['authorization'] === undefined) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return {
    origin: url.origin,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
    tls,
    host: url.host,
    path: `${url.pathname}${url.search}`,
    method: options.method,
    headers,
    body: options.body,
    timeoutMs: options.timeoutMs,
    abortAfterMs: options.abortAfterMs,
  };
}
