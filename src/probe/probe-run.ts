/**
 * The phases of one probe run, sampling the count all along: a baseline, then for each round
 * its load and (between rounds) a pause whose lowest count is the round's floor, then the
 * settle phase, which reads the count at each settle point after the last round's load ended.
 * Every loop is bounded by a count or a deadline, and the stop signal ends any of them early.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadClient } from './load/load-client.js';
import type { RequestKind, RequestOutcome } from './load/request-outcome.js';
import { RoundTally } from './load/round-tally.js';
import { runRound } from './load/run-round.js';
import type { DisconnectShape, ProbeConfig, ProbeHooks, RoundSummary, Sample, SettlePoint, ShapeSummary } from './probe-result.js';
import type { SampleReader } from './sample-reader.js';
import type { SessionReading } from './samplers/sampler.js';
import { SessionTracker } from './sessions/session-tracker.js';
import { Timeline } from './timeline.js';

/** Readings taken for the baseline; the lowest is the baseline. */
export const BASELINE_SAMPLES = 4;

/**
 * How long after a round's last request ended a reading counts as "at rest": a correct app
 * closes (or returns) a request's connection a few ms after the response; this leaves room for
 * a loaded machine.
 */
export const REST_GRACE_MS = 250;

/** What a run measured, before the verdict. */
export interface RunRecord {
  readonly timeline: Timeline;
  readonly baseline: number;
  readonly rounds: readonly RoundSummary[];
  readonly settle: readonly SettlePoint[];
  /** False when the stop signal ended the run early. */
  readonly complete: boolean;
  /** The sessions' timelines; empty for a count-only source. */
  readonly tracker: SessionTracker;
  /** Whether the source listed sessions. */
  readonly sessionsListed: boolean;
  /** When the check request was sent: the first request of the run. */
  readonly checkedAt: number;
  readonly shapes: readonly ShapeSummary[];
}

export class ProbeRun {
  readonly #config: ProbeConfig;
  readonly #reader: SampleReader;
  readonly #client: LoadClient;
  readonly #onProgress: ProbeHooks['onProgress'];
  readonly #stopper: AbortController;
  readonly #stop: AbortSignal;
  readonly #timeline = new Timeline();
  readonly #rounds: RoundSummary[] = [];
  readonly #totals = { ok: 0, errors: 0, disconnects: 0 };
  #phase: Sample['phase'] = 'baseline';
  #round = 0;
  #tally = new RoundTally();
  #lastCount = 0;
  readonly #tracker = new SessionTracker();
  #sessionsListed = false;
  /** When the last round's last request ended; readings this long after it with nothing in flight are at rest. */
  #lastLoadEnd = -Infinity;
  readonly #shapes = new Map<DisconnectShape, { planned: number; disconnected: number; completed: number }>();

  /** `stopper` ends the run early; the run also uses it to stop its own load when it fails. */
  constructor(
    config: ProbeConfig,
    reader: SampleReader,
    client: LoadClient,
    stopper: AbortController,
    onProgress?: ProbeHooks['onProgress'],
  ) {
    this.#config = config;
    this.#reader = reader;
    this.#client = client;
    this.#stopper = stopper;
    this.#stop = stopper.signal;
    this.#onProgress = onProgress;
  }

  /** `check` sends the first request; the baseline is read before it, so it cannot raise the baseline. */
  async execute(check: () => Promise<void>): Promise<RunRecord> {
    const baseline = await this.#baseline();
    const checkedAt = this.#timeline.now();
    await check();
    let loadEnd = this.#timeline.now();
    for (let index = 0; index < this.#config.rounds && !this.#stop.aborted; index++) {
      const load = await this.#load(index);
      loadEnd = load.endedAt;
      const floor = index < this.#config.rounds - 1 ? await this.#pause(index) : undefined;
      this.#rounds.push({ index, ...load, ...this.#tally.counts(), peak: this.#peakOf(index), floor });
    }
    const settle = await this.#settle(loadEnd);
    const complete = !this.#stop.aborted && settle.length === this.#config.settlePointsMs.length;
    const shapes = [...this.#shapes].map(([shape, counts]) => ({ shape, ...counts }));
    return {
      timeline: this.#timeline,
      baseline,
      rounds: this.#rounds,
      settle,
      complete,
      tracker: this.#tracker,
      sessionsListed: this.#sessionsListed,
      checkedAt,
      shapes,
    };
  }

  async #baseline(): Promise<number> {
    const counts: number[] = [];
    for (let i = 0; i < BASELINE_SAMPLES && !this.#stop.aborted; i++) {
      if (i > 0) await this.#sleep(this.#config.sampleIntervalMs);
      const count = await this.#sample();
      if (count !== undefined) counts.push(count);
    }
    // At rest the lowest reading is the app's own floor; higher ones caught a closing session.
    return counts.length > 0 ? Math.min(...counts) : await this.#requiredSample();
  }

  async #load(index: number): Promise<{ startedAt: number; endedAt: number }> {
    this.#phase = 'load';
    this.#round = index;
    this.#tally = new RoundTally();
    const startedAt = this.#timeline.now();
    let done = false;
    const load = runRound(this.#client, this.#config, (outcome, kind) => this.#record(outcome, kind), this.#stop).finally(
      () => (done = true),
    );
    try {
      while (!done && !this.#stop.aborted) {
        await this.#sample();
        await Promise.race([this.#sleep(this.#config.sampleIntervalMs), load]);
      }
    } catch (error) {
      // The count can no longer be read: cut the load short rather than finish a blind round.
      this.#stopper.abort();
      throw error;
    } finally {
      await load;
      this.#lastLoadEnd = this.#timeline.now();
    }
    return { startedAt, endedAt: this.#lastLoadEnd };
  }

  /** Samples the pause after round `index` (at least once) and returns its lowest count. */
  async #pause(index: number): Promise<number | undefined> {
    this.#phase = 'pause';
    this.#round = index;
    const deadline = this.#timeline.now() + this.#config.pauseMs;
    do {
      await this.#sample();
      await this.#sleep(Math.min(this.#config.sampleIntervalMs, deadline - this.#timeline.now()));
    } while (this.#timeline.now() < deadline && !this.#stop.aborted);
    const counts = this.#timeline.samplesOf('pause', index).map((sample) => sample.connections);
    return counts.length > 0 ? Math.min(...counts) : undefined;
  }

  /** Reads the count at each settle point, measured from `loadEnd`, sampling in between. */
  async #settle(loadEnd: number): Promise<SettlePoint[]> {
    this.#phase = 'settle';
    const points: SettlePoint[] = [];
    for (const afterMs of this.#config.settlePointsMs) {
      const at = loadEnd + afterMs;
      while (this.#timeline.now() < at && !this.#stop.aborted) {
        await this.#sleep(Math.min(this.#config.sampleIntervalMs, at - this.#timeline.now()));
        if (this.#timeline.now() < at - this.#config.sampleIntervalMs / 2) await this.#sample();
      }
      if (this.#stop.aborted) break;
      points.push({ afterMs, connections: await this.#requiredSample() });
    }
    return points;
  }

  /** One reading, recorded as a sample; undefined after a tolerated failure. */
  async #sample(): Promise<number | undefined> {
    const read = await this.#reader.read();
    if (read === undefined) return undefined;
    const { count } = read;
    this.#lastCount = count;
    const round = this.#phase === 'load' || this.#phase === 'pause' ? { round: this.#round } : {};
    const sample = this.#timeline.addSample({ connections: count, inFlight: this.#client.inFlight, phase: this.#phase, ...round });
    if (read.reading !== undefined) this.#observe(sample, read.reading);
    this.#progress();
    return count;
  }

  #observe(sample: Sample, reading: SessionReading): void {
    this.#sessionsListed = true;
    const atRest =
      sample.inFlight === 0 && sample.phase !== 'load' && sample.phase !== 'baseline' && sample.t >= this.#lastLoadEnd + REST_GRACE_MS;
    this.#tracker.observe(
      { t: sample.t, inFlight: sample.inFlight, atRest, round: sample.round, baseline: sample.phase === 'baseline' },
      reading,
    );
  }

  /** A reading that must succeed: retried each interval until the reader gives up (it throws). */
  async #requiredSample(): Promise<number> {
    for (;;) {
      const count = await this.#sample();
      if (count !== undefined) return count;
      await sleep(this.#config.sampleIntervalMs);
    }
  }

  #record(outcome: RequestOutcome, kind: RequestKind): void {
    this.#tally.add(outcome);
    if (kind !== 'normal') this.#countShape(kind, outcome);
    const round = this.#round;
    if (outcome.kind === 'disconnect') {
      this.#totals.disconnects++;
      this.#timeline.addEvent({ kind: 'disconnect', round, detail: kind });
      return;
    }
    const failed = outcome.kind === 'error' || outcome.status >= 400;
    if (failed) this.#totals.errors++;
    else this.#totals.ok++;
    const detail = outcome.kind === 'error' ? outcome.code : String(outcome.status);
    if (outcome.refusal) this.#timeline.addEvent({ kind: 'refusal', round, detail });
    else if (failed) this.#timeline.addEvent({ kind: 'error', round, detail });
  }

  #countShape(shape: DisconnectShape, outcome: RequestOutcome): void {
    const counts = this.#shapes.get(shape) ?? { planned: 0, disconnected: 0, completed: 0 };
    counts.planned++;
    if (outcome.kind === 'disconnect') counts.disconnected++;
    else if (outcome.kind === 'response') counts.completed++;
    this.#shapes.set(shape, counts);
  }

  #peakOf(index: number): number {
    const counts = this.#timeline.samplesOf('load', index).map((sample) => sample.connections);
    return counts.length > 0 ? Math.max(...counts) : 0;
  }

  #progress(): void {
    this.#onProgress?.({
      phase: this.#phase,
      round: this.#round,
      rounds: this.#config.rounds,
      elapsedMs: this.#timeline.now(),
      done: this.#tally.requests,
      total: this.#config.requests,
      inFlight: this.#client.inFlight,
      connections: this.#lastCount,
      ...this.#totals,
    });
  }

  /** Sleeps `ms` (at least 0), ending early, without throwing, when the run stops. */
  async #sleep(ms: number): Promise<void> {
    await sleep(Math.max(0, ms), undefined, { signal: this.#stop }).catch(() => undefined);
  }
}
