/**
 * The verdict's rules that rest on what each session did: a stranded session, or one left idle
 * in a transaction, is a leak whatever the counts say, and each is named.
 *
 * @module
 */
import type { NamedSession } from './sessions/classify-sessions.js';
import type { Finding, VerdictInput } from './verdict-input.js';

/** Sessions named in a reason; the rest are counted. */
const NAMED_IN_REASON = 5;

export function sessionFindings(input: VerdictInput): Finding[] {
  const sessions = input.sessions;
  if (sessions === undefined) return [];
  const findings: Finding[] = [];
  if (sessions.strandedTotal > 0) {
    const rounds = [...new Set(sessions.stranded.map((session) => session.idleSinceRound + 1))].sort((a, b) => a - b);
    const closed = sessions.stranded.filter((session) => session.closedAtMs !== undefined).length;
    findings.push({
      kind: 'leak',
      reason:
        `${sessions.strandedTotal} sessions were stranded: each went idle during a round (round ${rounds.join(', ')}), was never used again, ` +
        `and sat idle while nothing was in flight, while the app opened new sessions: ${namedList(sessions.stranded, sessions.strandedTotal)}.` +
        (closed > 0
          ? ` ${closed} of them closed later without being used again (a garbage collector or a timeout closing leaked connections is still a leak).`
          : ''),
    });
  }
  if (sessions.idleInTransaction.length > 0) {
    findings.push({
      kind: 'leak',
      reason:
        `${sessions.idleInTransaction.length} sessions sat idle inside a transaction with nothing in flight: a request ended without COMMIT or ROLLBACK: ` +
        `${namedList(sessions.idleInTransaction, sessions.idleInTransaction.length)}.`,
    });
  }
  return findings;
}

function namedList(sessions: readonly NamedSession[], total: number): string {
  const shown = sessions.slice(0, NAMED_IN_REASON).map(describeSession).join('; ');
  return total > NAMED_IN_REASON ? `${shown}; and ${total - NAMED_IN_REASON} more` : shown;
}

/** `id 123 (app@127.0.0.1:5123) idle since round 2, for 4.2 s`. */
export function describeSession(session: NamedSession): string {
  return `id ${session.id} (${session.user}@${session.host}) idle since round ${session.idleSinceRound + 1}, for ${(session.idleForMs / 1000).toFixed(1)} s`;
}
