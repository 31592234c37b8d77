import type { ProbeResult } from '../probe/probe-result.js';
import { axesSvg } from './chart/axes.js';
import { chartFrame, DEFAULT_SIZE, type ChartFrame, type ChartSize } from './chart/chart-frame.js';
import { eventTicksSvg } from './chart/event-ticks.js';
import { legendSvg } from './chart/legend.js';
import { PALETTE } from './chart/palette.js';
import { phaseBandsSvg } from './chart/phase-bands.js';
import { pointMarksSvg } from './chart/point-marks.js';
import { referenceLinesSvg } from './chart/reference-lines.js';
import { seriesSvg } from './chart/series.js';
import { sessionBandSvg } from './chart/session-band.js';
import { el } from './chart/svg.js';
import { escapeHtml } from './escape-html.js';
import { formatCount, formatDuration, formatSeconds } from './format.js';
import { keyPoints } from './key-points.js';
import { VERDICT_LABELS } from './verdict-label.js';

export { chartFrame, type ChartFrame, type ChartSize } from './chart/chart-frame.js';

export interface ChartOptions {
  /** Pixel size of the drawing (it scales with CSS); 960 × 460 by default. */
  readonly size?: ChartSize;
  /** For embedding in an HTML page: leaves out the `xmlns` a standalone `.svg` file needs. */
  readonly inline?: boolean;
}

/**
 * The probe's chart as one standalone SVG: the database's connection count over time (step line,
 * left axis) against requests in flight (area, right axis), the load rounds, pauses and settle
 * phase shaded, lines for the baseline, the allowed resting level, the budget and the server's
 * max_connections, the peak and settle points marked, and disconnects, errors and refusals as
 * ticks along the time axis. Styles are inside the SVG, so it renders the same embedded in the
 * HTML report or opened on its own.
 *
 * @example
 * writeFileSync('chart.svg', renderChartSvg(result));
 */
export function renderChartSvg(result: ProbeResult, options: ChartOptions = {}): string {
  const size = options.size ?? DEFAULT_SIZE;
  const frame = chartFrame(result, size);
  return el(
    'svg',
    {
      // Inline in HTML the parser supplies the namespace, and the report then holds no URL at all.
      xmlns: options.inline === true ? undefined : 'http://www.w3.org/2000/svg',
      class: 'probe-chart',
      viewBox: `0 0 ${size.width} ${size.height}`,
      width: size.width,
      height: size.height,
      role: 'img',
      'aria-labelledby': 'chart-title chart-desc',
      'data-plot-left': frame.plot.left,
      'data-plot-right': frame.plot.right,
      'data-time-max': frame.time.max,
    },
    [
      el('title', { id: 'chart-title' }, 'Database connections over time'),
      el('desc', { id: 'chart-desc' }, escapeHtml(chartDescription(result))),
      el('style', {}, CHART_CSS),
      el('rect', { x: 0, y: 0, width: size.width, height: size.height, fill: '#ffffff' }),
      legendSvg(frame.legend),
      phaseBandsSvg(result, frame),
      axesSvg(frame),
      sessionBandSvg(result, frame),
      seriesSvg(result, frame),
      referenceLinesSvg(frame),
      pointMarksSvg(result, frame),
      eventTicksSvg(result, frame),
      hoverLayer(frame),
    ],
  );
}

/** What a screen reader says instead of the picture: the run's story in numbers. */
export function chartDescription(result: ProbeResult): string {
  const points = keyPoints(result);
  const settle = points.settle.map((point) => `${formatCount(point.connections)} after ${formatDuration(point.afterMs)}`).join(', ');
  const count = (kind: string): string => formatCount(result.events.filter((event) => event.kind === kind).length);
  return [
    `Database connections and requests in flight over ${formatDuration(result.durationMs)}, ${result.rounds.length} load rounds.`,
    `Baseline ${formatCount(points.baseline.connections)}, peak ${formatCount(points.peak.connections)} at ${formatSeconds(points.peak.t)}${settle === '' ? '.' : `, then ${settle}.`}`,
    `${count('disconnect')} disconnects, ${count('error')} errors, ${count('refusal')} refusals.`,
    `Verdict: ${VERDICT_LABELS[result.verdict.kind].title.toLowerCase()}.`,
  ].join(' ');
}

/** A crosshair the report's small script moves; hidden, and harmless, without script. */
function hoverLayer(frame: ChartFrame): string {
  return el('line', { class: 'hover-line', x1: 0, x2: 0, y1: frame.plot.top, y2: frame.plot.bottom, visibility: 'hidden' });
}

const CHART_CSS = [
  `.probe-chart{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:12px;fill:${PALETTE.text}}`,
  `.probe-chart .grid{stroke:${PALETTE.grid};stroke-width:1}`,
  `.probe-chart .axis-line{stroke:${PALETTE.axis};stroke-width:1}`,
  '.probe-chart .tick{font-variant-numeric:tabular-nums}',
  `.probe-chart .tick-muted,.probe-chart .axis-title-muted{fill:${PALETTE.muted}}`,
  '.probe-chart .axis-title{font-weight:600}',
  `.probe-chart .band-label{fill:${PALETTE.muted};font-size:11px;letter-spacing:.06em;text-transform:uppercase}`,
  `.probe-chart .series-connections{fill:none;stroke:${PALETTE.connections};stroke-width:2.5;stroke-linejoin:round}`,
  `.probe-chart .series-in-flight{fill:${PALETTE.inFlightFill};fill-opacity:.45;stroke:${PALETTE.inFlightStroke};stroke-width:1}`,
  '.probe-chart .halo{paint-order:stroke;stroke:#ffffff;stroke-width:4px;stroke-linejoin:round}',
  '.probe-chart .level-label,.probe-chart .mark-label{font-size:11.5px;font-weight:600}',
  `.probe-chart .settle-dot{fill:#ffffff;stroke:${PALETTE.text};stroke-width:2}`,
  `.probe-chart .peak-dot{fill:${PALETTE.connections};stroke:#ffffff;stroke-width:1.5}`,
  '.probe-chart .event-track{fill:#f6f8fa}',
  `.probe-chart .event-label,.probe-chart .legend-label{fill:${PALETTE.text}}`,
  '.probe-chart .event-label{font-size:11px}',
  `.probe-chart .hover-line{stroke:${PALETTE.text};stroke-width:1;stroke-dasharray:3 3}`,
].join('');
