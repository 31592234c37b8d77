/**
 * The sessions part of every report, in plain items: what the sessions did (per class), the
 * resting level learned, the stranded sessions by name, what each disconnect shape did, and the
 * run's warnings.
 *
 * @module
 */
import type { NamedSession, ProbeResult } from '../probe/probe-result.js';
import { formatCount, formatDuration } from './format.js';

/** Stranded sessions listed one per line; the rest are counted. */
export const LISTED_SESSIONS = 10;

/** `reused 10 · stranded 3 · …`, only the classes that occurred. */
export function sessionClassItems(result: ProbeResult): string[] {
  const sessions = result.sessions;
  if (sessions === undefined) return ['not listed by this source (a count only)'];
  const items = Object.entries(sessions.counts)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${formatCount(count)}`);
  const reused = sessions.reusedPerRound.map(formatCount).join('/');
  return [
    ...(items.length > 0 ? items : ['none seen']),
    `resting level ${formatCount(sessions.learnedRestingLevel)} (used again per round ${reused})`,
  ];
}

/** One line per stranded or idle-in-transaction session, oldest first. */
export function namedSessionLines(result: ProbeResult): string[] {
  const sessions = result.sessions;
  if (sessions === undefined) return [];
  const named = [
    ...sessions.stranded.map((session) => ['stranded', session] as const),
    ...sessions.idleInTransaction.map((session) => ['idle in transaction', session] as const),
  ];
  const lines = named.slice(0, LISTED_SESSIONS).map(([kind, session]) => `${kind}: ${sessionText(session)}`);
  const total = sessions.strandedTotal + sessions.idleInTransaction.length;
  if (total > LISTED_SESSIONS) lines.push(`… and ${formatCount(total - LISTED_SESSIONS)} more (all in --json)`);
  return lines;
}

/** `id 42 app@127.0.0.1:51234 db app, idle since round 2 (at 3.4 s) for 9.8 s, closed at 12.0 s`. */
export function sessionText(session: NamedSession): string {
  const closed = session.closedAtMs === undefined ? '' : `, closed at ${(session.closedAtMs / 1000).toFixed(1)} s`;
  const database = session.database === null ? '' : ` db ${session.database}`;
  return `id ${session.id} ${session.user}@${session.host}${database}, idle since round ${session.idleSinceRound + 1} (at ${(session.idleSinceMs / 1000).toFixed(1)} s) for ${formatDuration(session.idleForMs)}${closed}`;
}

/** `abort-before-response 54 of 54 cut` per shape. */
export function shapeItems(result: ProbeResult): string[] {
  return result.shapes.map((shape) => `${shape.shape} ${formatCount(shape.disconnected)} of ${formatCount(shape.planned)} cut`);
}
