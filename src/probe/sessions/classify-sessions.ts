/**
 * What each database session did during the run, decided from its timeline:
 *
 * - `stranded`: its last statement ended during a load round; it was never used again; it sat
 *   idle at rest (nothing in flight) or through a whole later round; and while it sat there the
 *   app opened at least one new session (more than `OPENED_AFTER_MS` after). A pool never opens
 *   a connection while it holds an idle one it could use, so that is a connection the app lost:
 *   a leak. (A pool's spare that its LIFO order leaves unused is idle too, but nothing new is
 *   opened beside it.)
 * - `idle-in-transaction`: found idle inside a transaction at rest, after its request ended.
 * - `opened-and-closed`: appeared and disappeared during the run (per-request connections, a
 *   pool's idle timeout).
 * - `reused`: used again after being idle, and still open (a pool at work).
 * - `kept-idle`: opened by the load, still open, used once and never needed again, with no new
 *   session opened meanwhile (a pool's spare after a burst).
 * - `untouched`: there before the load and never used by it (another app's, a pre-opened pool's).
 *
 * @module
 */
import type { SessionTimeline } from './session-timeline.js';

export type SessionClass = 'stranded' | 'idle-in-transaction' | 'opened-and-closed' | 'reused' | 'kept-idle' | 'untouched';

export const SESSION_CLASSES: readonly SessionClass[] = [
  'stranded',
  'idle-in-transaction',
  'opened-and-closed',
  'reused',
  'kept-idle',
  'untouched',
];

/**
 * A new session counts as evidence only when it opened this long after the idle one's last
 * statement ended: an app may hold a connection a moment past its last statement (writing the
 * response to a client that left, say), and a pool that opens one meanwhile is no proof.
 */
export const OPENED_AFTER_MS = 500;

/** A load round's span on the run's clock. */
export interface RoundSpan {
  readonly index: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** A session named in the verdict: who holds it and since when it sat unused. */
export interface NamedSession {
  readonly id: number;
  readonly user: string;
  readonly host: string;
  readonly database: string | null;
  /** The round during which its last statement ended. */
  readonly idleSinceRound: number;
  /** When its last statement ended, ms on the run's clock. */
  readonly idleSinceMs: number;
  /** How long it then sat unused: until it closed, or until the last reading. */
  readonly idleForMs: number;
  /** When it disappeared, if it did before the run ended (closed later, e.g. by a garbage collector). */
  readonly closedAtMs?: number;
  readonly inTransaction?: boolean;
}

export interface Classified {
  readonly classOf: ReadonlyMap<string, SessionClass>;
  readonly stranded: readonly NamedSession[];
  readonly idleInTransaction: readonly NamedSession[];
  /** Per round: sessions seen used again after being idle, in that round. */
  readonly reusedPerRound: readonly number[];
}

/**
 * @example
 * const { stranded } = classifySessions(tracker.timelines(), rounds);
 * stranded.length > 0 // a leak, with each session named
 */
export function classifySessions(timelines: readonly SessionTimeline[], rounds: readonly RoundSpan[]): Classified {
  const openings = timelines
    .filter((timeline) => !timeline.atBaseline)
    .map(openedAt)
    .sort((a, b) => a - b);
  const classOf = new Map<string, SessionClass>();
  const stranded: NamedSession[] = [];
  const idleInTransaction: NamedSession[] = [];
  for (const timeline of timelines) {
    const kind = classOne(timeline, rounds, openings);
    classOf.set(timeline.key, kind);
    if (kind === 'stranded') stranded.push(named(timeline, rounds));
    if (kind === 'idle-in-transaction') idleInTransaction.push(named(timeline, rounds));
  }
  const reusedPerRound = rounds.map((round) => timelines.filter((timeline) => timeline.reusedInRounds.has(round.index)).length);
  return { classOf, stranded: stranded.sort((a, b) => a.idleSinceMs - b.idleSinceMs), idleInTransaction, reusedPerRound };
}

function classOne(timeline: SessionTimeline, rounds: readonly RoundSpan[], openings: readonly number[]): SessionClass {
  if (!timeline.activeInLoad) return 'untouched';
  if (timeline.idleInTransactionAtRest !== undefined) return 'idle-in-transaction';
  if (isStranded(timeline, rounds, openings)) return 'stranded';
  if (timeline.closedAt !== undefined) return 'opened-and-closed';
  return timeline.reuses > 0 ? 'reused' : 'kept-idle';
}

function isStranded(timeline: SessionTimeline, rounds: readonly RoundSpan[], openings: readonly number[]): boolean {
  if (timeline.row.state === 'killed') return false;
  const idleSince = timeline.lastActive;
  if (roundOf(idleSince, rounds) === undefined) return false;
  const end = timeline.closedAt ?? Infinity;
  const satAtRest = timeline.lastIdleAtRest !== undefined && timeline.lastIdleAtRest > idleSince;
  const satThroughRound = rounds.some(
    (round) => round.startedAt > idleSince && timeline.firstSeen <= round.startedAt && timeline.lastSeen >= round.endedAt,
  );
  if (!satAtRest && !satThroughRound) return false;
  return openings.some((opened) => opened > idleSince + OPENED_AFTER_MS && opened < end);
}

/** The round whose load (or the moments right after it, before the next) holds `t`. */
export function roundOf(t: number, rounds: readonly RoundSpan[]): number | undefined {
  let found: number | undefined;
  for (const round of rounds) if (t >= round.startedAt && t <= round.endedAt) found = round.index;
  return found;
}

function openedAt(timeline: SessionTimeline): number {
  return timeline.openedAtRun ?? timeline.firstSeen;
}

function named(timeline: SessionTimeline, rounds: readonly RoundSpan[]): NamedSession {
  const { row } = timeline;
  const until = timeline.closedAt ?? timeline.lastSeen;
  return {
    id: row.id,
    user: row.user,
    host: row.host,
    database: row.database,
    idleSinceRound: roundOf(timeline.lastActive, rounds) ?? -1,
    idleSinceMs: Math.round(timeline.lastActive),
    idleForMs: Math.max(0, Math.round(until - timeline.lastActive)),
    ...(timeline.closedAt === undefined ? {} : { closedAtMs: timeline.closedAt }),
    ...(row.inTransaction === undefined ? {} : { inTransaction: row.inTransaction }),
  };
}
