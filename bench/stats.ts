/**
 * The few statistics the report needs. On a shared 2-core machine one variant's rate moves
 * 15–47 % between rounds, so comparisons are made per round (paired: both sides measured
 * back to back) and summarised by their median and their full range, never by a mean.
 *
 * @module
 */

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** `a[i] / b[i]` per round: the measurements of one round share the machine's mood. */
export function pairedRatios(a: readonly number[], b: readonly number[]): Spread {
  return spread(a.map((value, i) => value / b[i]!));
}

/** `a[i] - b[i]` per round. */
export function pairedDeltas(a: readonly number[], b: readonly number[]): Spread {
  return spread(a.map((value, i) => value - b[i]!));
}

/** The q-quantile (0..1) of values already sorted ascending, nearest rank. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
