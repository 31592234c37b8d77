/**
 * Keeps a `SessionTimeline` per database session across the run's readings, and for each
 * reading how many sessions were active and which were idle, so the chart can show them later.
 *
 * @module
 */
import type { SessionReading } from '../../drivers/server-session.js';
import { SessionTimeline, type ReadingMoment } from './session-timeline.js';

/** One reading's sessions: how many were active, and the keys of the idle ones. */
export interface ReadingSnapshot {
  readonly t: number;
  readonly active: number;
  readonly idleKeys: readonly string[];
}

/** Readings whose idle keys are kept for the chart; past this only the counts would matter. */
const MAX_SNAPSHOTS = 20_000;

export class SessionTracker {
  readonly #timelines = new Map<string, SessionTimeline>();
  readonly #snapshots: ReadingSnapshot[] = [];
  transactionsVisible = true;

  /** Takes one reading: new sessions start a timeline, missing ones are closed. */
  observe(moment: ReadingMoment, reading: SessionReading): void {
    const toRunClock = (server: number): number => moment.t + (server - reading.serverNow);
    const seen = new Set<string>();
    let active = 0;
    const idleKeys: string[] = [];
    this.transactionsVisible &&= reading.transactionsVisible;
    for (const row of reading.sessions) {
      seen.add(row.key);
      const timeline = this.#timelines.get(row.key);
      if (timeline === undefined) this.#timelines.set(row.key, new SessionTimeline(row, moment, toRunClock, reading.idleResolutionMs));
      else timeline.seen(row, moment, toRunClock);
      if (row.state === 'active') active++;
      else idleKeys.push(row.key);
    }
    for (const timeline of this.#timelines.values()) if (!seen.has(timeline.key)) timeline.missing(moment);
    if (this.#snapshots.length < MAX_SNAPSHOTS) this.#snapshots.push({ t: moment.t, active, idleKeys });
  }

  timelines(): SessionTimeline[] {
    return [...this.#timelines.values()];
  }

  snapshots(): readonly ReadingSnapshot[] {
    return this.#snapshots;
  }
}
