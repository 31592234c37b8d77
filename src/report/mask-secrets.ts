/** Headers whose values are credentials, never printed in a report. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-auth-token']);
/** `?password=…` and its kin, which some drivers accept in the URL. */
const SECRET_PARAM = /([?&](?:password|passwd|pass|pwd|secret|token|api[-_]?key|access[-_]?token|sslpassword)=)[^&#\s]*/gi;
const USER_INFO_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@?#]*):[^\s@/?#]*@/gi;

/**
 * Replaces the password of every `scheme://user:password@` in `text`, and the value of
 * credential query parameters, with `***`. The probe already masks its URLs; the reports mask
 * again because a report is the thing people paste into chats and tickets (invariant I8), and a
 * masked `***` stays as it is.
 */
export function maskSecrets(text: string): string {
  return text.replace(USER_INFO_PASSWORD, '$1:***@').replace(SECRET_PARAM, '$1***');
}

/** A header value as a report may show it: credentials replaced, the rest masked as text. */
export function maskHeaderValue(name: string, value: string): string {
  return SECRET_HEADERS.has(name.toLowerCase()) ? '***' : maskSecrets(value);
}
