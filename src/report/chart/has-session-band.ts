import type { ProbeResult } from '../../probe/probe-result.js';

/** True when the result carries session bands (a source that lists sessions, not a count alone). */
export function hasSessionBand(result: ProbeResult): boolean {
  return result.samples.some((sample) => sample.band !== undefined);
}
