/**
 * The cost curves as one SVG: a grid of small panels (req/s, p99, server CPU per request against
 * clients, pool size, processes and, under overload, the requests admitted at once), one line
 * per variant, one legend for all (a variant keeps its colour in every panel). The x axis is
 * evenly spaced by step: clients grow by 4× per step, pool sizes by 5×, so that is a log scale;
 * y starts at 0 so that heights compare.
 *
 * @module
 */

export interface Series {
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly series: readonly Series[];
}

const COLUMNS = 3;
const CELL = { width: 300, height: 250 } as const;
const PLOT = { width: 220, height: 160, left: 60, top: 34 } as const;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

export function curvesSvg(panels: readonly Panel[]): string {
  const labels = [...new Set(panels.flatMap((panel) => panel.series.map((series) => series.label)))];
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = COLUMNS * CELL.width + 20;
  const legendTop = rows * CELL.height + 10;
  const height = legendTop + Math.ceil(labels.length / 2) * 18 + 10;
  const legend = labels.map((label, i) => {
    const y = legendTop + Math.floor(i / 2) * 18;
    const x = 60 + (i % 2) * 440;
    return `<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${color(i)}" stroke-width="2.5"/><text x="${x + 30}" y="${y}">${escape(label)}</text>`;
  });
  const cells = panels.map((panel, i) =>
    drawPanel(panel, (i % COLUMNS) * CELL.width, Math.floor(i / COLUMNS) * CELL.height, (label) => color(labels.indexOf(label))),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...cells,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

function drawPanel(panel: Panel, x0: number, y0: number, colorOf: (label: string) => string): string {
  const xs = [...new Set(panel.series.flatMap((series) => series.points.map((point) => point.x)))].sort((a, b) => a - b);
  const left = x0 + PLOT.left;
  const top = y0 + PLOT.top;
  const max = niceMax(Math.max(1, ...panel.series.flatMap((series) => series.points.map((point) => point.y))));
  const px = (x: number): number => left + (xs.length <= 1 ? PLOT.width / 2 : (xs.indexOf(x) / (xs.length - 1)) * PLOT.width);
  const py = (y: number): number => top + PLOT.height - (y / max) * PLOT.height;
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = py(max * f);
    return `<line x1="${left}" y1="${y}" x2="${left + PLOT.width}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${format(max * f)}</text>`;
  });
  const ticks = xs.map((x) => `<text x="${px(x)}" y="${top + PLOT.height + 16}" text-anchor="middle">${x}</text>`);
  const lines = panel.series.map((series) => {
    const stroke = colorOf(series.label);
    const path = series.points.map((point) => `${px(point.x).toFixed(1)},${py(point.y).toFixed(1)}`).join(' ');
    const dots = series.points.map(
      (point) => `<circle cx="${px(point.x).toFixed(1)}" cy="${py(point.y).toFixed(1)}" r="3" fill="${stroke}"/>`,
    );
    return `<polyline points="${path}" fill="none" stroke="${stroke}" stroke-width="2"/>${dots.join('')}`;
  });
  return [
    `<text x="${x0 + 20}" y="${top - 14}" font-weight="bold">${escape(panel.title)}</text>`,
    ...grid,
    `<line x1="${left}" y1="${top + PLOT.height}" x2="${left + PLOT.width}" y2="${top + PLOT.height}" stroke="#333"/>`,
    ...ticks,
    `<text x="${left + PLOT.width / 2}" y="${top + PLOT.height + 31}" text-anchor="middle">${escape(panel.xLabel)}</text>`,
    ...lines,
  ].join('\n');
}

/** 1, 2 or 5 times a power of ten, at or above `value`. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

function format(value: number): string {
  return value >= 1000 ? `${Math.round(value / 100) / 10}k` : String(Math.round(value * 10) / 10);
}

function color(i: number): string {
  return COLORS[i % COLORS.length]!;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
