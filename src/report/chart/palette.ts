import type { VerdictKind } from '../../probe/probe-result.js';

/**
 * The report's colours, chosen for ≥ 4.5:1 contrast on white where they carry text and to stay
 * apart for the common colour-vision deficiencies (blue series vs grey, dashes tell lines apart).
 */
export const PALETTE = {
  text: '#1f2328',
  muted: '#59636e',
  grid: '#e4e8ec',
  axis: '#8c959f',
  connections: '#0550ae',
  inFlightFill: '#afb8c1',
  inFlightStroke: '#6e7781',
  baseline: '#59636e',
  allowed: '#1a7f37',
  budget: '#bc4c00',
  serverMax: '#cf222e',
  disconnect: '#8250df',
  error: '#bc4c00',
  refusal: '#cf222e',
  bandBaseline: '#f3f4f6',
  bandLoad: '#e3efff',
  bandPause: '#ffffff',
  bandSettle: '#e6f6ea',
  sessionActive: '#0969da',
  sessionIdle: '#8cc4ff',
  sessionStranded: '#cf222e',
} as const;

export const VERDICT_COLORS: Readonly<Record<VerdictKind, string>> = {
  'no-leak': '#1a7f37',
  leak: '#cf222e',
  'over-budget': '#bc4c00',
  capacity: '#9a6700',
  inconclusive: '#59636e',
};
