/**
 * Keeps passwords out of everything the probe prints or returns (invariant I8): URLs, header
 * values and error messages that a driver might have built from them.
 *
 * @module
 */

const MASK = '***';
/** Headers whose values are credentials. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);
/** Query parameters whose values are credentials (`?password=` is accepted by some drivers). */
const SECRET_PARAMS = /^(password|passwd|pass|pwd|secret|token|api[-_]?key|access[-_]?token|sslpassword)$/i;

/**
 * The URL with its password (and credential-like query parameters) replaced by `***`.
 *
 * @example
 * maskUrl('mysql://app:s3cret@db:3306/app') // 'mysql://app:***@db:3306/app'
 */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can parse: mask anything shaped like `//user:password@`.
    return url.replace(/(\/\/[^:/@?#\s]*):[^@/?#\s]*@/g, `$1:${MASK}@`);
  }
  if (parsed.password !== '') parsed.password = MASK;
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.test(key)) parsed.searchParams.set(key, MASK);
  }
  // URL encodes the mask's asterisks in the userinfo; show them as written.
  return parsed.href.replace(/%2A%2A%2A/g, MASK);
}

/** Header values that are credentials, masked; header names lower-cased. */
export function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, SECRET_HEADERS.has(name.toLowerCase()) ? MASK : value]));
}

/**
 * The secrets hidden in some URLs: each password, raw and percent-decoded, so that a message a
 * driver built from either form can be scrubbed.
 */
export function secretsOf(urls: readonly string[]): string[] {
  const secrets = new Set<string>();
  for (const url of urls) {
    try {
      const parsed = new URL(url);
      if (parsed.password === '') continue;
      secrets.add(parsed.password);
      secrets.add(safeDecode(parsed.password));
    } catch {
      // Unparsable URLs were rejected by validation; nothing to collect.
    }
  }
  return [...secrets].filter((secret) => secret.length > 0);
}

/** `text` with every secret replaced by `***`, and any URL-shaped credentials masked. */
export function scrub(text: string, secrets: readonly string[]): string {
  let clean = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@?#\s]*):[^@/?#\s]*@/gi, `$1:${MASK}@`);
  for (const secret of secrets) clean = clean.split(secret).join(MASK);
  return clean;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
