/** Maps a value from a data domain onto a pixel range, e.g. seconds onto x, counts onto y. */
export type Scale = (value: number) => number;

/**
 * A linear scale from `domain` onto `range`. A flat domain (one value) maps to the range's start,
 * so a run with a constant count draws a flat line instead of dividing by zero. Either range may
 * run backwards: SVG's y grows downwards, so counts use `[bottom, top]`.
 */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0) return () => r0;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}
