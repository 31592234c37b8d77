import type { ProbeResult } from '../../probe/probe-result.js';
import { layoutLegend, legendEntries, type PlacedEntry } from './legend.js';
import { linearScale, type Scale } from './linear-scale.js';
import { niceTicks, ticksWithin, type NiceTicks } from './nice-ticks.js';
import { referenceLevels, type ReferenceLevel } from './reference-levels.js';

export interface ChartSize {
  readonly width: number;
  readonly height: number;
}

/** Where everything goes: the plot box, the event strip under it, the scales and their ticks. */
export interface ChartFrame extends ChartSize {
  readonly plot: { readonly left: number; readonly top: number; readonly right: number; readonly bottom: number };
  /** The rows of event ticks below the plot. */
  readonly strip: { readonly top: number; readonly rowHeight: number; readonly gap: number };
  /** ms since start → x. */
  readonly x: Scale;
  /** DB connections → y (left axis). */
  readonly y: Scale;
  /** Requests in flight → y (right axis). */
  readonly yFlight: Scale;
  readonly time: NiceTicks;
  readonly connections: NiceTicks;
  readonly inFlight: NiceTicks;
  /** Levels drawn as lines: they fit on the axis. */
  readonly levels: readonly ReferenceLevel[];
  /** Levels so far above the data that drawing them would flatten it: named, not drawn. */
  readonly offScale: readonly ReferenceLevel[];
  /** Legend entries, placed above the plot. */
  readonly legend: readonly PlacedEntry[];
}

export const DEFAULT_SIZE: ChartSize = { width: 960, height: 460 };
const MARGIN = { left: 84, right: 64, top: 18, bottom: 96 };
/** The legend may use the full width: it is read as a line of text, not against the axes. */
const LEGEND_INSET = 24;
const STRIP = { rowHeight: 9, gap: 4, offset: 10 };
/** A level more than this many times the data's own peak is named instead of stretching the axis. */
const OFF_SCALE_FACTOR = 2;
/** Room above the highest line for its labels. */
const HEADROOM = 1.12;

/** Computes the chart's layout and scales from the result. */
export function chartFrame(result: ProbeResult, size: ChartSize = DEFAULT_SIZE): ChartFrame {
  const dataMax = Math.max(
    result.peak,
    result.baseline,
    maxOf(result.samples, (sample) => sample.connections),
  );
  const all = referenceLevels(result);
  const fits = (level: ReferenceLevel): boolean => level.value <= Math.max(dataMax, 1) * OFF_SCALE_FACTOR;
  const levels = all.filter(fits);
  const offScale = all.filter((level) => !fits(level));
  // The legend wraps to as many rows as it needs; the plot starts below it.
  const legend = layoutLegend(legendEntries(result, levels, offScale), LEGEND_INSET, size.width - LEGEND_INSET, MARGIN.top);
  const plot = {
    left: MARGIN.left,
    top: MARGIN.top + legend.height + 6,
    right: size.width - MARGIN.right,
    bottom: size.height - MARGIN.bottom,
  };
  const connections = niceTicks(Math.max(dataMax, ...levels.map((level) => level.value), 1) * HEADROOM, 6, 1);
  const inFlight = niceTicks(
    Math.max(
      result.config.concurrency,
      maxOf(result.samples, (sample) => sample.inFlight),
      1,
    ) * HEADROOM,
    6,
    1,
  );
  const time = ticksWithin(timeExtent(result), 10);
  return {
    ...size,
    plot,
    strip: { top: plot.bottom + STRIP.offset, rowHeight: STRIP.rowHeight, gap: STRIP.gap },
    x: linearScale([0, time.max], [plot.left, plot.right]),
    y: linearScale([0, connections.max], [plot.bottom, plot.top]),
    yFlight: linearScale([0, inFlight.max], [plot.bottom, plot.top]),
    time,
    connections,
    inFlight,
    levels,
    offScale,
    legend: legend.entries,
  };
}

/** The run's length: its duration, stretched to cover any sample, event or settle point past it. */
export function timeExtent(result: ProbeResult): number {
  const loadEnd = result.rounds.at(-1)?.endedAt ?? 0;
  return Math.max(
    result.durationMs,
    result.samples.at(-1)?.t ?? 0,
    maxOf(result.events, (event) => event.t),
    maxOf(result.settle, (point) => loadEnd + point.afterMs),
    1,
  );
}

/** The largest `pick(item)`, 0 for none; a loop, because spreading 100k samples into Math.max overflows the stack. */
function maxOf<T>(items: readonly T[], pick: (item: T) => number): number {
  let max = 0;
  for (const item of items) max = Math.max(max, pick(item));
  return max;
}
