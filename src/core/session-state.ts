import type { ResolvedAlias } from './config/options.js';
import { UsageError } from '../errors/errors.js';

/**
 * Behind a transaction pooler (PgBouncer `pool_mode = transaction`) each transaction may run on
 * another server session, and the session it ran on goes next to another client. A statement
 * whose effect outlives its transaction would leak into strangers' requests, or be missing
 * from this request's next statement, so it is refused before it is sent. Each rule names what
 * to use instead; the transaction-scoped forms pass.
 */
const RULES: readonly { readonly test: RegExp; readonly what: string; readonly instead: string }[] = [
  { test: /^set\s+(?!local\b|transaction\b|constraints\b)/i, what: 'SET without LOCAL', instead: 'SET LOCAL inside db.transaction()' },
  { test: /^(reset|discard)\b/i, what: 'RESET / DISCARD', instead: 'SET LOCAL inside db.transaction(), which ends with it' },
  {
    test: /\bset_config\s*\([^)]*,\s*false\s*\)/i,
    what: 'set_config(..., false)',
    instead: 'set_config(..., true) inside db.transaction()',
  },
  {
    test: /^create\s+(global\s+|local\s+)?temp(orary)?\s+table\b(?![\s\S]*\bon\s+commit\s+drop\b)/i,
    what: 'a temporary table that outlives its transaction',
    instead: 'CREATE TEMP TABLE ... ON COMMIT DROP inside db.transaction()',
  },
  {
    test: /\bpg_(try_)?advisory_(un)?lock(_shared|_all)?\s*\(/i,
    what: 'a session-level advisory lock',
    instead: 'pg_advisory_xact_lock() inside db.transaction()',
  },
  { test: /^(prepare|deallocate|execute)\b/i, what: 'PREPARE / EXECUTE / DEALLOCATE', instead: 'parameters ($1, $2, ...) on db.query()' },
  { test: /^(listen|unlisten)\b/i, what: 'LISTEN / UNLISTEN', instead: 'a second alias that connects to PostgreSQL directly' },
  {
    test: /^declare\b[\s\S]*\bwith\s+hold\b/i,
    what: 'a cursor WITH HOLD',
    instead: 'db.stream(), or a cursor without HOLD inside db.transaction()',
  },
  { test: /^load\b/i, what: 'LOAD', instead: "the server's own configuration (session_preload_libraries)" },
];

/** The statements of `sql`, each without the comments and blanks before it. */
function statements(sql: string): string[] {
  return sql.split(';').map((part) => part.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)+/, '').replace(/^\(+\s*/, ''));
}

/**
 * `SESSION_STATE` for a statement that would leave state on a shared server session, when the
 * alias is behind a transaction pooler; undefined otherwise (and always without a pooler).
 */
export function sessionStateError(config: ResolvedAlias, sql: string): UsageError | undefined {
  if (config.pooler !== 'transaction') return undefined;
  for (const statement of statements(sql)) {
    const rule = RULES.find((candidate) => candidate.test.test(statement));
    if (rule !== undefined) {
      return new UsageError(
        'SESSION_STATE',
        `alias "${config.alias}" is behind a transaction pooler (pooler: 'transaction'), where ${rule.what} would stay on a server session that other clients' transactions reuse; use ${rule.instead}`,
      );
    }
  }
  return undefined;
}
