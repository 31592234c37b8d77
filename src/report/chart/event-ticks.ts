import type { ProbeEvent, ProbeResult } from '../../probe/probe-result.js';
import type { ChartFrame } from './chart-frame.js';
import { PALETTE } from './palette.js';
import { el, svgText } from './svg.js';

const ROWS: readonly { kind: ProbeEvent['kind']; label: string; color: string }[] = [
  { kind: 'disconnect', label: 'disconnects', color: PALETTE.disconnect },
  { kind: 'error', label: 'errors', color: PALETTE.error },
  { kind: 'refusal', label: 'refusals', color: PALETTE.refusal },
];

/** Events that fall on the same pixel column, drawn as one tick. */
export interface TickBin {
  readonly x: number;
  readonly count: number;
}

/**
 * Groups events into one bin per pixel column: a run can have tens of thousands of disconnects,
 * and one tick each would bloat the file without showing anything more.
 */
export function binEvents(times: readonly number[], x: (t: number) => number): TickBin[] {
  const bins = new Map<number, number>();
  for (const t of times) {
    const column = Math.round(x(t));
    bins.set(column, (bins.get(column) ?? 0) + 1);
  }
  return [...bins].sort(([a], [b]) => a - b).map(([column, count]) => ({ x: column, count }));
}

/** One row of ticks per event kind under the plot, on the same time axis; denser bins are darker. */
export function eventTicksSvg(result: ProbeResult, frame: ChartFrame): string {
  const { plot, strip } = frame;
  return el(
    'g',
    { class: 'events' },
    ROWS.map((row, index) => {
      const top = strip.top + index * (strip.rowHeight + strip.gap);
      const times = result.events.filter((event) => event.kind === row.kind).map((event) => event.t);
      const ticks = binEvents(times, frame.x).map((bin) =>
        el('rect', { x: bin.x - 0.5, y: top, width: 1.5, height: strip.rowHeight, 'fill-opacity': Math.min(1, 0.35 + bin.count * 0.2) }),
      );
      return el('g', { class: `event-row event-${row.kind}`, fill: row.color, 'data-count': times.length }, [
        el('rect', { x: plot.left, y: top, width: plot.right - plot.left, height: strip.rowHeight, class: 'event-track' }),
        svgText(
          { x: plot.left - 8, y: top + strip.rowHeight / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'event-label' },
          row.label,
        ),
        ...ticks,
      ]);
    }),
  );
}
