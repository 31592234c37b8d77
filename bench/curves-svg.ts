/**
 * The cost curves as one SVG: req/s (left) and p99 latency (right) against the number of
 * clients, one line per variant. Clients grow by 4× per step, so the x axis is evenly spaced
 * by step (a log scale); y starts at 0 so that heights compare.
 *
 * @module
 */

export interface Curve {
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly rps: number; readonly p99Ms: number }[];
}

const WIDTH = 940;
const HEIGHT = 340;
const PANEL = { width: 380, height: 220, top: 40, left: [70, 520] } as const;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

export function curvesSvg(curves: readonly Curve[]): string {
  const xs = [...new Set(curves.flatMap((curve) => curve.points.map((point) => point.x)))].sort((a, b) => a - b);
  const panels = [
    panel(curves, xs, PANEL.left[0], 'req/s', (point) => point.rps),
    panel(curves, xs, PANEL.left[1], 'p99 ms', (point) => point.p99Ms),
  ];
  const legend = curves.map((curve, i) => {
    const y = PANEL.top + PANEL.height + 50 + Math.floor(i / 2) * 18;
    const x = 70 + (i % 2) * 420;
    return `<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${color(i)}" stroke-width="2.5"/><text x="${x + 30}" y="${y}">${escape(curve.label)}</text>`;
  });
  const height = Math.max(HEIGHT, PANEL.top + PANEL.height + 60 + Math.ceil(curves.length / 2) * 18);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...panels,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

function panel(
  curves: readonly Curve[],
  xs: readonly number[],
  left: number,
  title: string,
  value: (point: Curve['points'][number]) => number,
): string {
  const top = PANEL.top;
  const max = niceMax(Math.max(1, ...curves.flatMap((curve) => curve.points.map(value))));
  const px = (x: number): number => left + (xs.length <= 1 ? 0 : (xs.indexOf(x) / (xs.length - 1)) * PANEL.width);
  const py = (y: number): number => top + PANEL.height - (y / max) * PANEL.height;
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = py(max * f);
    return `<line x1="${left}" y1="${y}" x2="${left + PANEL.width}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${format(max * f)}</text>`;
  });
  const ticks = xs.map((x) => `<text x="${px(x)}" y="${top + PANEL.height + 18}" text-anchor="middle">${x}</text>`);
  const lines = curves.map((curve, i) => {
    const path = curve.points.map((point) => `${px(point.x).toFixed(1)},${py(value(point)).toFixed(1)}`).join(' ');
    const dots = curve.points.map(
      (point) => `<circle cx="${px(point.x).toFixed(1)}" cy="${py(value(point)).toFixed(1)}" r="3" fill="${color(i)}"/>`,
    );
    return `<polyline points="${path}" fill="none" stroke="${color(i)}" stroke-width="2.5"/>${dots.join('')}`;
  });
  return [
    `<text x="${left}" y="${top - 14}" font-weight="bold">${title} against clients (pools of 10)</text>`,
    ...grid,
    `<line x1="${left}" y1="${top + PANEL.height}" x2="${left + PANEL.width}" y2="${top + PANEL.height}" stroke="#333"/>`,
    ...ticks,
    `<text x="${left + PANEL.width / 2}" y="${top + PANEL.height + 34}" text-anchor="middle">clients</text>`,
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
