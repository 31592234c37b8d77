import type { ChartFrame } from './chart-frame.js';
import { el, svgText } from './svg.js';

/** Grid lines, the three axes with their ticks, and the axis titles. */
export function axesSvg(frame: ChartFrame): string {
  return el('g', { class: 'axes' }, [grid(frame), leftAxis(frame), rightAxis(frame), timeAxis(frame)]);
}

function grid(frame: ChartFrame): string {
  const { plot } = frame;
  const horizontal = frame.connections.ticks.map((tick) =>
    el('line', { x1: plot.left, x2: plot.right, y1: frame.y(tick), y2: frame.y(tick), class: 'grid' }),
  );
  const vertical = frame.time.ticks.map((tick) =>
    el('line', { x1: frame.x(tick), x2: frame.x(tick), y1: plot.top, y2: plot.bottom, class: 'grid' }),
  );
  return el('g', {}, [...horizontal, ...vertical]);
}

function leftAxis(frame: ChartFrame): string {
  const { plot } = frame;
  const middle = (plot.top + plot.bottom) / 2;
  return el('g', { class: 'axis axis-connections' }, [
    el('line', { x1: plot.left, x2: plot.left, y1: plot.top, y2: plot.bottom, class: 'axis-line' }),
    ...frame.connections.ticks.map((tick) =>
      svgText({ x: plot.left - 8, y: frame.y(tick), 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick' }, String(tick)),
    ),
    svgText(
      {
        x: 0,
        y: 0,
        transform: `translate(${plot.left - 48} ${middle}) rotate(-90)`,
        'text-anchor': 'middle',
        class: 'axis-title axis-title-connections',
      },
      'DB connections',
    ),
  ]);
}

function rightAxis(frame: ChartFrame): string {
  const { plot } = frame;
  const middle = (plot.top + plot.bottom) / 2;
  return el('g', { class: 'axis axis-in-flight' }, [
    el('line', { x1: plot.right, x2: plot.right, y1: plot.top, y2: plot.bottom, class: 'axis-line' }),
    ...frame.inFlight.ticks.map((tick) =>
      svgText({ x: plot.right + 8, y: frame.yFlight(tick), 'dominant-baseline': 'middle', class: 'tick tick-muted' }, String(tick)),
    ),
    svgText(
      {
        x: 0,
        y: 0,
        transform: `translate(${plot.right + 46} ${middle}) rotate(90)`,
        'text-anchor': 'middle',
        class: 'axis-title axis-title-muted',
      },
      'requests in flight',
    ),
  ]);
}

function timeAxis(frame: ChartFrame): string {
  const { plot, strip } = frame;
  const labelsY = strip.top + 3 * (strip.rowHeight + strip.gap) + 14;
  return el('g', { class: 'axis axis-time' }, [
    el('line', { x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom, class: 'axis-line' }),
    ...frame.time.ticks.map((tick) =>
      el('g', {}, [
        el('line', { x1: frame.x(tick), x2: frame.x(tick), y1: plot.bottom, y2: plot.bottom + 5, class: 'axis-line' }),
        svgText({ x: frame.x(tick), y: labelsY, 'text-anchor': 'middle', class: 'tick' }, secondsLabel(tick, frame.time.step)),
      ]),
    ),
    svgText(
      { x: (plot.left + plot.right) / 2, y: labelsY + 22, 'text-anchor': 'middle', class: 'axis-title' },
      'seconds since the probe started',
    ),
  ]);
}

/** A time tick in seconds, with a decimal only when the step needs one. */
export function secondsLabel(ms: number, stepMs: number): string {
  const decimals = stepMs >= 1000 ? 0 : stepMs >= 100 ? 1 : 2;
  return `${(ms / 1000).toFixed(decimals)}`;
}
