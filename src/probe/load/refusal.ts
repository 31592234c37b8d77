/**
 * Does a response or an error say the database refused a connection? A server over its
 * `max_connections` answers MySQL/MariaDB errno 1040 ("Too many connections") or PostgreSQL
 * SQLSTATE 53300 ("too many clients already", "remaining connection slots are reserved"),
 * PgBouncer "no more connections allowed (max_client_conn)", and
 * apps usually pass the text on in a 500; leakproof's adapters answer `DATABASE_REFUSED`.
 *
 * @module
 */

const REFUSAL =
  /too many connections|too many clients|connection slots are reserved|no more connections allowed|DATABASE_REFUSED|\b1040\b|\b53300\b/i;

/** True when `text` (an error body or message) mentions a database refusal. */
export function mentionsRefusal(text: string): boolean {
  return REFUSAL.test(text);
}
