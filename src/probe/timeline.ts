/**
 * The run's clock and record: samples and events stamped in ms since the start. Events are
 * capped so that a long run at high request rates stays small; the counts stay exact.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { ProbeEvent, Sample } from './probe-result.js';

/** Events kept per run; later ones are counted in `droppedEvents` only. */
export const MAX_EVENTS = 5000;

export class Timeline {
  readonly #origin = performance.now();
  readonly samples: Sample[] = [];
  readonly events: ProbeEvent[] = [];
  droppedEvents = 0;

  /** Whole ms since the run started. */
  now(): number {
    return Math.round(performance.now() - this.#origin);
  }

  addSample(sample: Omit<Sample, 't'>): Sample {
    const stamped = { t: this.now(), ...sample };
    this.samples.push(stamped);
    return stamped;
  }

  addEvent(event: Omit<ProbeEvent, 't'>): void {
    if (this.events.length >= MAX_EVENTS) {
      this.droppedEvents++;
      return;
    }
    this.events.push({ t: this.now(), ...event });
  }

  /** The samples of one phase (and round, when given). */
  samplesOf(phase: Sample['phase'], round?: number): Sample[] {
    return this.samples.filter((sample) => sample.phase === phase && (round === undefined || sample.round === round));
  }
}
