/**
 * The one place that keeps passwords out of what leakproof prints, returns or publishes
 * (invariant I8): URLs of every shape (malformed ones included), header values, URL query
 * parameters that carry credentials, and error texts that a driver built from any of them.
 *
 * Everything else imports from here (core, drivers, adapters, probe, report, CLI); this file
 * imports nothing, so it can sit below all of them.
 *
 * The rule for a URL is deliberately blunt: after `scheme://`, everything up to the **last**
 * `@` is the user information, and whatever follows its first `:` is the password. A password
 * with an unencoded `@`, `#`, `/`, `?` or space then never shows, not even in part, whatever
 * a URL parser would have made of it. A URL whose query holds a raw `@` is masked more than
 * it needs to be; that is the safe side.
 *
 * @module
 */

/** What every masked secret is replaced with. */
export const MASK = '***';

/** Headers whose values are credentials. */
const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
]);

/** Query parameters (and driver options) whose values are credentials. */
const SECRET_KEY =
  /^(password|passwd|pass|pwd|secret|token|api[-_]?key|access[-_]?token|sslpassword|ssl[-_]?passphrase|passphrase|auth[-_]?token)$/i;

/** `?password=…` and its kin anywhere in a text, up to the next `&`, `#`, quote or space. */
const SECRET_PARAM =
  /([?&;](?:password|passwd|pass|pwd|secret|token|api[-_]?key|access[-_]?token|sslpassword|ssl[-_]?passphrase|passphrase|auth[-_]?token)=)[^&#\s"'<>]*/gi;

/** `scheme://rest`, taken as one URL from start to end (for {@link maskUrl}). */
const WHOLE_URL = /^([a-z][a-z0-9+.-]*:)?\/\/([\s\S]*)$/i;

/** A URL-shaped token inside free text: an optional scheme, `//`, and everything up to a space. */
const URL_IN_TEXT = /(?:[a-z][a-z0-9+.-]*:)?\/\/[^\s"'<>()[\]{}]+/gi;

/** Whether a query parameter or driver option of this name holds a credential. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Whether a header of this name carries a credential. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/**
 * The URL with its password and credential query parameters replaced by `***`. Never throws,
 * and never shows any part of a password, also when the URL is malformed (an unencoded `@`,
 * `#`, `/`, `?` or space in it). A string that does not start with a URL is masked as text.
 *
 * @example
 * maskUrl('mysql://app:s3cret@db:3306/app');       // 'mysql://app:***@db:3306/app'
 * maskUrl('mysql://app:p@ss:w0rd#x@db:3306/app');  // 'mysql://app:***@db:3306/app'
 * maskUrl('postgres://db/app?password=x');         // 'postgres://db/app?password=***'
 */
export function maskUrl(url: string): string {
  const match = WHOLE_URL.exec(url);
  if (match === null) return maskText(url);
  const [, scheme = '', rest = ''] = match;
  return `${scheme}//${maskAuthority(rest)}`;
}

/** `user:password@host…` → `user:***@host…`, split at the last `@`. */
function maskAuthority(rest: string): string {
  const at = rest.lastIndexOf('@');
  if (at === -1) return maskParams(rest);
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  // No `:` before the last `@`: a user without a password (or an `@` in the query).
  if (colon === -1) return maskParams(rest);
  const user = userInfo.slice(0, colon);
  // A "user" holding a URL delimiter was not one (the password or the path has the delimiter
  // unencoded): show none of it rather than guess where the password starts.
  const shownUser = /[/?#]/.test(user) ? MASK : user;
  return `${shownUser}:${MASK}@${maskParams(rest.slice(at + 1))}`;
}

function maskParams(text: string): string {
  return text.replace(SECRET_PARAM, `$1${MASK}`);
}

/**
 * `text` with every URL in it masked (see {@link maskUrl}), every `?password=`-like parameter
 * masked, and every one of `secrets` (raw, as given) replaced by `***`.
 *
 * @example
 * maskText('auth failed at mysql://root:hunter2@x/y'); // 'auth failed at mysql://root:***@x/y'
 */
export function maskText(text: string, secrets: readonly string[] = []): string {
  let clean = maskParams(text.replace(URL_IN_TEXT, (token) => maskUrl(token)));
  // The longest first, so that a secret containing a shorter one is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) clean = clean.split(secret).join(MASK);
  }
  return clean;
}

/** The same as {@link maskText}; the name the probe and the CLI use. */
export function scrub(text: string, secrets: readonly string[]): string {
  return maskText(text, secrets);
}

/**
 * The passwords hidden in some URLs, in every form a message could carry them: as written,
 * percent-decoded and percent-encoded; for malformed URLs too (the same last-`@` rule as
 * {@link maskUrl}), and the values of `?password=`-like parameters.
 */
export function secretsOf(urls: readonly string[]): string[] {
  const secrets = new Set<string>();
  const add = (raw: string): void => {
    if (raw === '') return;
    const decoded = safeDecode(raw);
    for (const form of [raw, decoded, encodeURIComponent(decoded)]) secrets.add(form);
  };
  for (const url of urls) {
    const match = WHOLE_URL.exec(url.trim());
    if (match === null) continue;
    const rest = match[2] ?? '';
    const at = rest.lastIndexOf('@');
    const userInfo = at === -1 ? '' : rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon !== -1) add(userInfo.slice(colon + 1));
    for (const param of rest.matchAll(SECRET_PARAM)) add(param[0].slice(param[1]?.length ?? 0));
  }
  return [...secrets].filter((secret) => secret.length > 0 && secret !== MASK);
}

/** Header values that are credentials masked; names kept as given. */
export function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretHeader(name) ? MASK : value]));
}

/** A header value as it may be shown: a credential header's value masked whole, others as text. */
export function maskHeaderValue(name: string, value: string): string {
  return isSecretHeader(name) ? MASK : maskText(value);
}

/**
 * A copy of an options object (query parameters, driver options) for display: credential keys
 * masked, nested objects (an `ssl: { key, passphrase }`) masked the same way, strings masked as
 * text. PEM private keys are masked whatever their key is called.
 */
export function maskOptions(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [key, maskOptionValue(key, value, 0)]));
}

function maskOptionValue(key: string, value: unknown, depth: number): unknown {
  if (isSecretKey(key) || key.toLowerCase() === 'key') return value === undefined ? undefined : MASK;
  if (typeof value === 'string') return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) ? MASK : maskText(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => maskOptionValue('', item, depth + 1));
  if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes>`;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskOptionValue(k, v, depth + 1)]));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
