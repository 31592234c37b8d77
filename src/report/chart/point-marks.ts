import type { ProbeResult } from '../../probe/probe-result.js';
import { escapeHtml } from '../escape-html.js';
import { formatCount, formatDuration, formatSeconds } from '../format.js';
import { keyPoints, type KeyPoints } from '../key-points.js';
import type { ChartFrame } from './chart-frame.js';
import { labelBox, overlaps, type Box } from './label-box.js';
import { placeLevels } from './reference-lines.js';
import { el, svgText } from './svg.js';

const LABEL_ROWS = 3;
const ROW_HEIGHT = 15;

/** The peak and every settle point, marked on the connection line; hovering shows the numbers. */
export function pointMarksSvg(result: ProbeResult, frame: ChartFrame): string {
  const points = keyPoints(result);
  const taken = placeLevels(frame).map((placed) => placed.box);
  return el('g', { class: 'marks' }, [peakMark(points.peak, frame, taken), ...settleMarks(points.settle, frame)]);
}

/** The peak's label goes to the first side of the dot where it covers no level's label. */
function peakMark(peak: KeyPoints['peak'], frame: ChartFrame, taken: readonly Box[]): string {
  const x = frame.x(peak.t);
  const y = frame.y(peak.connections);
  const text = `peak ${formatCount(peak.connections)}`;
  const candidates = [
    { x: x + 7, y: y - 7, anchor: 'start' },
    { x: x - 7, y: y - 7, anchor: 'end' },
    { x: x + 7, y: y + 16, anchor: 'start' },
    { x: x - 7, y: y + 16, anchor: 'end' },
  ] as const;
  const free = candidates.find(
    (spot) =>
      inside(labelBox(spot.x, spot.y, text, spot.anchor), frame) &&
      !taken.some((box) => overlaps(box, labelBox(spot.x, spot.y, text, spot.anchor))),
  );
  const spot = free ?? candidates[0];
  return el('g', { class: 'mark mark-peak' }, [
    el('circle', { cx: x, cy: y, r: 4, class: 'peak-dot' }, el('title', {}, escapeHtml(`${text} connections at ${formatSeconds(peak.t)}`))),
    svgText({ x: spot.x, y: spot.y, 'text-anchor': spot.anchor, class: 'mark-label halo' }, text),
  ]);
}

/**
 * A ring per settle point. Labels sit in rows above the highest point, a label that would
 * collide in every row is left out: the dot's tooltip and the report's list still give it.
 */
function settleMarks(settle: KeyPoints['settle'], frame: ChartFrame): string[] {
  const rowEnds = Array.from({ length: LABEL_ROWS }, () => -Infinity);
  const labelBase = Math.min(...settle.map((point) => frame.y(point.connections))) - 12;
  return settle.map((point) => {
    const x = frame.x(point.t);
    const text = `+${formatDuration(point.afterMs)}: ${formatCount(point.connections)}`;
    const half = labelBox(0, 0, text, 'middle').right;
    // Keep the label inside the plot: the right axis's numbers sit just past its edge.
    const labelX = Math.min(Math.max(x, frame.plot.left + half), frame.plot.right - half);
    const row = rowEnds.findIndex((end) => labelX - half > end + 4);
    if (row >= 0) rowEnds[row] = labelX + half;
    const title = `${formatCount(point.connections)} connections ${formatDuration(point.afterMs)} after the load (${formatSeconds(point.t)})`;
    return el('g', { class: 'mark mark-settle' }, [
      el('circle', { cx: x, cy: frame.y(point.connections), r: 5, class: 'settle-dot' }, el('title', {}, escapeHtml(title))),
      row < 0 ? '' : svgText({ x: labelX, y: labelBase - row * ROW_HEIGHT, 'text-anchor': 'middle', class: 'mark-label halo' }, text),
    ]);
  });
}

function inside(box: Box, frame: ChartFrame): boolean {
  return box.left >= frame.plot.left && box.right <= frame.plot.right && box.top >= frame.plot.top && box.bottom <= frame.plot.bottom;
}
