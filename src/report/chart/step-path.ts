import type { Scale } from './linear-scale.js';
import { px } from './svg.js';

/** A reading at time `t` (ms). */
export interface Point {
  readonly t: number;
  readonly value: number;
}

/**
 * An SVG path that holds each reading until the next one (step-after): a sampled count is what
 * it was until it was read again, and a sloped line would invent values between samples. One `H`
 * per reading after the first; `V` only where the value changed.
 */
export function stepPath(points: readonly Point[], x: Scale, y: Scale): string {
  const [first, ...rest] = points;
  if (first === undefined) return '';
  const parts = [`M${px(x(first.t))} ${px(y(first.value))}`];
  let previous = first.value;
  for (const point of rest) {
    parts.push(`H${px(x(point.t))}`);
    if (point.value !== previous) parts.push(`V${px(y(point.value))}`);
    previous = point.value;
  }
  return parts.join('');
}

/** The same steps closed down to `baseY`: a filled area under the series. */
export function stepArea(points: readonly Point[], x: Scale, y: Scale, baseY: number): string {
  const first = points[0];
  const last = points.at(-1);
  if (first === undefined || last === undefined) return '';
  const line = stepPath(points, x, y).replace(/^M/, 'L');
  return `M${px(x(first.t))} ${px(baseY)}${line}V${px(baseY)}Z`;
}
