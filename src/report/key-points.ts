import type { ProbeResult, Sample } from '../probe/probe-result.js';

/** A connection count at a moment of the run (`t` in ms since the start). */
export interface KeyPoint {
  readonly t: number;
  readonly connections: number;
}

/** The story of a run in a few points: where it started, how high it went, where it settled. */
export interface KeyPoints {
  readonly baseline: KeyPoint;
  readonly peak: KeyPoint & { readonly round: number | undefined };
  /** When the load stopped: the settle points count from here. */
  readonly loadEndedAt: number;
  readonly settle: readonly (KeyPoint & { readonly afterMs: number })[];
}

/** Derives the baseline, peak and settle moments the text, HTML and chart all show. */
export function keyPoints(result: ProbeResult): KeyPoints {
  const loadEndedAt = result.rounds.at(-1)?.endedAt ?? 0;
  return {
    baseline: { t: baselineTime(result.samples), connections: result.baseline },
    peak: peakPoint(result),
    loadEndedAt,
    settle: result.settle.map((point) => ({ ...point, t: loadEndedAt + point.afterMs })),
  };
}

function baselineTime(samples: readonly Sample[]): number {
  return samples.find((sample) => sample.phase === 'baseline')?.t ?? 0;
}

/** The first sample that reached the reported peak; the peak value itself is the result's own. */
function peakPoint(result: ProbeResult): KeyPoints['peak'] {
  const sample = result.samples.find((candidate) => candidate.connections >= result.peak);
  return { t: sample?.t ?? 0, connections: result.peak, round: sample?.round };
}
