import type { ProbeResult } from '../../probe/probe-result.js';
import type { ChartFrame } from './chart-frame.js';
import { PALETTE } from './palette.js';
import { el, svgText } from './svg.js';

/** A stretch of the run: before the load, a load round, a pause, or the settle phase. */
export interface PhaseBand {
  readonly kind: 'baseline' | 'load' | 'pause' | 'settle';
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

const FILL: Readonly<Record<PhaseBand['kind'], string>> = {
  baseline: PALETTE.bandBaseline,
  load: PALETTE.bandLoad,
  pause: PALETTE.bandPause,
  settle: PALETTE.bandSettle,
};
/** Below this width a band's label would not fit; the legend still explains the colour. */
const MIN_LABEL_WIDTH = 48;

/** The run cut into phases by the rounds' own start and end times. */
export function phaseBands(result: ProbeResult, end: number): PhaseBand[] {
  const bands: PhaseBand[] = [];
  let cursor = 0;
  result.rounds.forEach((round, index) => {
    if (round.startedAt > cursor)
      bands.push({
        kind: index === 0 ? 'baseline' : 'pause',
        from: cursor,
        to: round.startedAt,
        label: index === 0 ? 'baseline' : 'pause',
      });
    bands.push({ kind: 'load', from: round.startedAt, to: round.endedAt, label: `round ${round.index + 1}` });
    cursor = round.endedAt;
  });
  if (end > cursor)
    bands.push({
      kind: result.rounds.length === 0 ? 'baseline' : 'settle',
      from: cursor,
      to: end,
      label: result.rounds.length === 0 ? 'baseline' : 'settle',
    });
  return bands;
}

/** Shaded rectangles behind the series, each named at its top when there is room. */
export function phaseBandsSvg(result: ProbeResult, frame: ChartFrame): string {
  const { plot } = frame;
  return el(
    'g',
    { class: 'bands' },
    phaseBands(result, frame.time.max).map((band) => {
      const x = frame.x(band.from);
      const width = Math.max(0, frame.x(band.to) - x);
      const label =
        width >= MIN_LABEL_WIDTH
          ? svgText({ x: x + width / 2, y: plot.top + 14, 'text-anchor': 'middle', class: 'band-label' }, band.label)
          : '';
      return el('g', { 'data-phase': band.kind }, [
        el('rect', { x, y: plot.top, width, height: plot.bottom - plot.top, fill: FILL[band.kind] }),
        label,
      ]);
    }),
  );
}
