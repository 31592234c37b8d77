/**
 * Turns the tracker's timelines into the result's `SessionsSummary`, and each reading's
 * sessions into a band of active / idle / stranded for the chart.
 *
 * @module
 */
import type { Sample, SessionsSummary } from '../probe-result.js';
import { classifySessions, SESSION_CLASSES, type RoundSpan, type SessionClass } from './classify-sessions.js';
import type { SessionTracker } from './session-tracker.js';

/** Stranded sessions listed by name in the result; the rest are counted. */
const MAX_LISTED = 100;

export interface SessionsOutcome {
  readonly summary: SessionsSummary;
  /** The samples with their `band`. */
  readonly samples: readonly Sample[];
}

export function summarizeSessions(
  tracker: SessionTracker,
  rounds: readonly RoundSpan[],
  samples: readonly Sample[],
  peakAboveBaseline: number,
): SessionsOutcome {
  const timelines = tracker.timelines();
  const classified = classifySessions(timelines, rounds);
  const counts = Object.fromEntries(SESSION_CLASSES.map((kind) => [kind, 0])) as Record<SessionClass, number>;
  for (const kind of classified.classOf.values()) counts[kind]++;
  // The pool's own sessions: used again in the last round and still there at the end, not lost.
  const lastRound = rounds.at(-1)?.index;
  const lastReused = timelines.filter(
    (timeline) => lastRound !== undefined && timeline.reusedInRounds.has(lastRound) && classified.classOf.get(timeline.key) === 'reused',
  ).length;
  const summary: SessionsSummary = {
    touched: timelines.length - counts.untouched,
    counts,
    learnedRestingLevel: Math.max(0, Math.min(lastReused, peakAboveBaseline)),
    reusedPerRound: classified.reusedPerRound,
    stranded: classified.stranded.slice(0, MAX_LISTED),
    strandedTotal: classified.stranded.length,
    idleInTransaction: classified.idleInTransaction.slice(0, MAX_LISTED),
    transactionsVisible: tracker.transactionsVisible,
  };
  return { summary, samples: withBands(tracker, samples, classified.classOf, timelines) };
}

/** A stranded session counts as stranded in a reading once its last statement had ended. */
function withBands(
  tracker: SessionTracker,
  samples: readonly Sample[],
  classOf: ReadonlyMap<string, SessionClass>,
  timelines: ReturnType<SessionTracker['timelines']>,
): Sample[] {
  const strandedSince = new Map<string, number>();
  for (const timeline of timelines) {
    if (classOf.get(timeline.key) === 'stranded' || classOf.get(timeline.key) === 'idle-in-transaction')
      strandedSince.set(timeline.key, timeline.lastActive);
  }
  const byTime = new Map(tracker.snapshots().map((snapshot) => [snapshot.t, snapshot]));
  return samples.map((sample) => {
    const snapshot = byTime.get(sample.t);
    if (snapshot === undefined) return sample;
    const stranded = snapshot.idleKeys.filter((key) => (strandedSince.get(key) ?? Infinity) <= sample.t).length;
    return { ...sample, band: { active: snapshot.active, idle: snapshot.idleKeys.length - stranded, stranded } };
  });
}
