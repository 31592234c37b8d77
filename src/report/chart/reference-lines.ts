import type { ChartFrame } from './chart-frame.js';
import { labelBox, type Box } from './label-box.js';
import type { ReferenceLevel } from './reference-levels.js';
import { el, svgText } from './svg.js';

/** Vertical room a level's label needs; closer labels are pushed up so they never overprint. */
const LABEL_SPACING = 14;

/** A level with where its line and label go. */
export interface PlacedLevel {
  readonly level: ReferenceLevel;
  readonly y: number;
  readonly labelX: number;
  readonly labelY: number;
  readonly box: Box;
}

/** Lines from the lowest level up, each label just above its line at the plot's left edge. */
export function placeLevels(frame: ChartFrame): PlacedLevel[] {
  const sorted = [...frame.levels].sort((a, b) => a.value - b.value);
  const labelX = frame.plot.left + 6;
  let lastLabelY = Infinity;
  return sorted.map((level) => {
    const y = frame.y(level.value);
    const labelY = Math.min(y - 5, lastLabelY - LABEL_SPACING);
    lastLabelY = labelY;
    return { level, y, labelX, labelY, box: labelBox(labelX, labelY, level.label) };
  });
}

/** A horizontal line per level that fits the axis, each labelled in its own colour. */
export function referenceLinesSvg(frame: ChartFrame): string {
  const { plot } = frame;
  return el(
    'g',
    { class: 'levels' },
    placeLevels(frame).map(({ level, y, labelX, labelY }) =>
      el('g', { 'data-level': level.key }, [
        el('line', {
          x1: plot.left,
          x2: plot.right,
          y1: y,
          y2: y,
          stroke: level.color,
          'stroke-width': 1.5,
          'stroke-dasharray': level.dash,
        }),
        svgText({ x: labelX, y: labelY, fill: level.color, class: 'level-label halo' }, level.label),
      ]),
    ),
  );
}
