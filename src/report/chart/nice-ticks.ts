/** Axis ticks from 0: evenly spaced at a round step, the last one ≥ the data. */
export interface NiceTicks {
  readonly step: number;
  /** The axis end: the last tick. */
  readonly max: number;
  readonly ticks: readonly number[];
}

/** The round step (1, 2 or 5 × 10ⁿ) nearest above `raw`; at least `minStep`. */
export function niceStep(raw: number, minStep = 0): number {
  if (!(raw > 0)) return Math.max(minStep, 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return Math.max(minStep, nice * magnitude);
}

/**
 * About `count` ticks covering [0, max], ending on a round number at or above `max`. Counts pass
 * `minStep: 1` so a small pool never gets ticks at 0.5 connections.
 */
export function niceTicks(max: number, count: number, minStep = 0): NiceTicks {
  const step = niceStep(max / count, minStep);
  const last = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  return { step, max: last, ticks: ticksUpTo(last, step) };
}

/** Ticks at round steps from 0 up to `max` without passing it: a time axis ends where the run did. */
export function ticksWithin(max: number, count: number): NiceTicks {
  const step = niceStep(max / count);
  return { step, max, ticks: ticksUpTo(max, step) };
}

function ticksUpTo(max: number, step: number): number[] {
  const ticks: number[] = [];
  // Multiplying (not adding) keeps 0.1-steps free of float drift.
  for (let i = 0; i * step <= max + step * 1e-9; i++) ticks.push(round12(i * step));
  return ticks;
}

function round12(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}
