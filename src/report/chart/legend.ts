import type { ProbeEvent, ProbeResult } from '../../probe/probe-result.js';
import { PALETTE } from './palette.js';
import { hasSessionBand } from './has-session-band.js';
import type { ReferenceLevel } from './reference-levels.js';
import { el, svgText } from './svg.js';

/** What a legend entry's swatch looks like. */
export type Swatch =
  | { readonly kind: 'line'; readonly color: string; readonly width: number; readonly dash?: string | undefined }
  | { readonly kind: 'area'; readonly color: string; readonly stroke: string }
  | { readonly kind: 'tick'; readonly color: string };

export interface LegendEntry {
  readonly swatch: Swatch;
  readonly label: string;
}

export interface PlacedEntry extends LegendEntry {
  readonly x: number;
  readonly y: number;
}

const ROW_HEIGHT = 20;
const SWATCH_WIDTH = 22;
const ENTRY_GAP = 18;
/** Average advance of the 12 px UI font; generous, so entries never overlap. */
const CHAR_WIDTH = 6.2;

/** Everything drawn on the chart, named, with the numbers that matter. */
export function legendEntries(result: ProbeResult, levels: readonly ReferenceLevel[], offScale: readonly ReferenceLevel[]): LegendEntry[] {
  const count = (kind: ProbeEvent['kind']): number => result.events.filter((event) => event.kind === kind).length;
  return [
    { swatch: { kind: 'line', color: PALETTE.connections, width: 3 }, label: 'DB connections' },
    { swatch: { kind: 'area', color: PALETTE.inFlightFill, stroke: PALETTE.inFlightStroke }, label: 'requests in flight (right axis)' },
    ...(hasSessionBand(result) ? sessionEntries(result) : []),
    ...levels.map((level) => ({ swatch: { kind: 'line', color: level.color, width: 1.5, dash: level.dash } as const, label: level.label })),
    ...offScale.map((level) => ({
      swatch: { kind: 'line', color: level.color, width: 1.5, dash: level.dash } as const,
      label: `${level.label}, off the chart`,
    })),
    { swatch: { kind: 'tick', color: PALETTE.disconnect }, label: `disconnects (${count('disconnect')})` },
    { swatch: { kind: 'tick', color: PALETTE.error }, label: `errors (${count('error')})` },
    { swatch: { kind: 'tick', color: PALETTE.refusal }, label: `refusals (${count('refusal')})` },
  ];
}

/** The band's three slices, the stranded one with its count. */
function sessionEntries(result: ProbeResult): LegendEntry[] {
  const stranded = (result.sessions?.strandedTotal ?? 0) + (result.sessions?.idleInTransaction.length ?? 0);
  return [
    { swatch: { kind: 'area', color: PALETTE.sessionActive, stroke: PALETTE.sessionActive }, label: 'sessions active' },
    { swatch: { kind: 'area', color: PALETTE.sessionIdle, stroke: PALETTE.sessionIdle }, label: 'idle' },
    { swatch: { kind: 'area', color: PALETTE.sessionStranded, stroke: PALETTE.sessionStranded }, label: `stranded (${stranded})` },
  ];
}

/** Flows entries left to right from `left`, wrapping before `right`; returns them placed and the height used. */
export function layoutLegend(
  entries: readonly LegendEntry[],
  left: number,
  right: number,
  top: number,
): { entries: PlacedEntry[]; height: number } {
  const placed: PlacedEntry[] = [];
  let x = left;
  let y = top;
  for (const entry of entries) {
    const width = SWATCH_WIDTH + 6 + entry.label.length * CHAR_WIDTH;
    if (x > left && x + width > right) {
      x = left;
      y += ROW_HEIGHT;
    }
    placed.push({ ...entry, x, y });
    x += width + ENTRY_GAP;
  }
  return { entries: placed, height: y - top + ROW_HEIGHT };
}

export function legendSvg(entries: readonly PlacedEntry[]): string {
  return el(
    'g',
    { class: 'legend' },
    entries.map((entry) =>
      el('g', {}, [
        swatchSvg(entry.swatch, entry.x, entry.y),
        svgText({ x: entry.x + SWATCH_WIDTH + 6, y: entry.y, 'dominant-baseline': 'middle', class: 'legend-label' }, entry.label),
      ]),
    ),
  );
}

function swatchSvg(swatch: Swatch, x: number, y: number): string {
  switch (swatch.kind) {
    case 'line':
      return el('line', {
        x1: x,
        x2: x + SWATCH_WIDTH,
        y1: y,
        y2: y,
        stroke: swatch.color,
        'stroke-width': swatch.width,
        'stroke-dasharray': swatch.dash,
      });
    case 'area':
      return el('rect', {
        x,
        y: y - 6,
        width: SWATCH_WIDTH,
        height: 12,
        fill: swatch.color,
        'fill-opacity': 0.45,
        stroke: swatch.stroke,
        'stroke-width': 1,
      });
    case 'tick':
      return el('rect', { x: x + SWATCH_WIDTH / 2 - 1.5, y: y - 6, width: 3, height: 12, fill: swatch.color });
  }
}
