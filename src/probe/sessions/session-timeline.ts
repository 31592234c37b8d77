/**
 * What the probe saw one database session do, reading after reading: when it appeared, when it
 * was last active (from the server's own idle clock, so activity between two readings is not
 * missed), whether it went idle and was used again, whether it sat idle while nothing was in
 * flight, and when it disappeared. Times are ms on the run's clock.
 *
 * @module
 */
import type { SessionRow } from '../../drivers/server-session.js';

/** Where in the run a reading was taken. */
export interface ReadingMoment {
  /** ms on the run's clock. */
  readonly t: number;
  readonly inFlight: number;
  /** Nothing in flight, and long enough after the last request ended for a correct app to have closed what it closes. */
  readonly atRest: boolean;
  /** The round of a load or pause reading. */
  readonly round: number | undefined;
  /** Still in the baseline: before any request. */
  readonly baseline: boolean;
}

export class SessionTimeline {
  readonly key: string;
  row: SessionRow;
  readonly firstSeen: number;
  /** When the server says it connected (PostgreSQL's backend_start), on the run's clock. */
  readonly openedAtRun: number | undefined;
  /** Present at the baseline, before any request: not opened by the load. */
  readonly atBaseline: boolean;
  lastSeen: number;
  /** The first reading it was missing from, after it had been seen. */
  closedAt: number | undefined;
  /** When its last statement ended (or now, while active), on the run's clock. */
  lastActive: number;
  /** Times it was seen idle and then active again. */
  reuses = 0;
  /** The rounds (load or the pause after it) in which it was seen used again after being idle. */
  readonly reusedInRounds = new Set<number>();
  /** Whether it was active while the load ran (after the baseline). */
  activeInLoad = false;
  /** The last reading at rest that found it idle (not killed), and whether it was in a transaction then. */
  lastIdleAtRest: number | undefined;
  idleInTransactionAtRest: number | undefined;
  readonly #epsilonMs: number;
  /** The server-clock end of its last statement, as of the last idle reading. */
  #idleStamp: number | undefined;
  #lastActiveServer: number;

  /** `epsilonMs`: how far two readings of the same idle moment may differ (MySQL's TIME is whole seconds). */
  constructor(row: SessionRow, moment: ReadingMoment, toRunClock: (server: number) => number, epsilonMs: number) {
    this.key = row.key;
    this.row = row;
    this.firstSeen = moment.t;
    this.openedAtRun = row.openedAt === undefined ? undefined : toRunClock(row.openedAt);
    this.lastSeen = moment.t;
    this.atBaseline = moment.baseline;
    this.#epsilonMs = epsilonMs;
    this.#lastActiveServer = row.lastActiveAt;
    this.lastActive = toRunClock(row.lastActiveAt);
    this.closedAt = undefined;
    this.lastIdleAtRest = undefined;
    this.idleInTransactionAtRest = undefined;
    // A session that appeared during the run was opened for the load, whether or not a reading caught it active.
    this.activeInLoad = !moment.baseline;
    this.#note(row, moment, toRunClock);
  }

  /** A later reading that lists it. */
  seen(row: SessionRow, moment: ReadingMoment, toRunClock: (server: number) => number): void {
    this.row = row;
    this.lastSeen = moment.t;
    this.closedAt = undefined;
    this.#note(row, moment, toRunClock);
  }

  /** A reading that did not list it: it is gone. */
  missing(moment: ReadingMoment): void {
    this.closedAt ??= moment.t;
  }

  /** Killed sessions say nothing about activity: their idle clock counts from the KILL. */
  #note(row: SessionRow, moment: ReadingMoment, toRunClock: (server: number) => number): void {
    if (row.state === 'killed' || row.state === 'hidden') return;
    const active = row.state === 'active' || row.state === 'connecting' || row.state === 'other';
    const movedOn = row.lastActiveAt > this.#lastActiveServer + this.#epsilonMs;
    if (this.#idleStamp !== undefined && (active || row.lastActiveAt > this.#idleStamp + this.#epsilonMs)) {
      this.reuses++;
      if (moment.round !== undefined) this.reusedInRounds.add(moment.round);
    }
    if (active || movedOn) {
      this.#lastActiveServer = Math.max(this.#lastActiveServer, row.lastActiveAt);
      this.lastActive = Math.max(this.lastActive, toRunClock(row.lastActiveAt));
      if (!moment.baseline) this.activeInLoad = true;
    }
    this.#idleStamp = active ? undefined : row.lastActiveAt;
    if (!active && moment.atRest) {
      this.lastIdleAtRest = moment.t;
      if (row.state === 'idle in transaction') this.idleInTransactionAtRest ??= moment.t;
    }
  }
}
