import type { VerdictKind } from '../probe/probe-result.js';

/** ANSI styling that turns into plain text when colour is off, so callers never branch. */
export interface Painter {
  bold(text: string): string;
  dim(text: string): string;
  /** White on the verdict's colour: the banner. */
  banner(kind: VerdictKind, text: string): string;
  /** The verdict's colour as text colour. */
  tone(kind: VerdictKind, text: string): string;
}

const BACKGROUND: Readonly<Record<VerdictKind, string>> = {
  'no-leak': '42',
  leak: '41',
  'over-budget': '41',
  capacity: '43',
  inconclusive: '47',
};
const FOREGROUND: Readonly<Record<VerdictKind, string>> = {
  'no-leak': '32',
  leak: '31',
  'over-budget': '31',
  capacity: '33',
  inconclusive: '37',
};

export function createPainter(color: boolean): Painter {
  const sgr = (codes: string, text: string): string => (color ? `\x1b[${codes}m${text}\x1b[0m` : text);
  return {
    bold: (text) => sgr('1', text),
    dim: (text) => sgr('2', text),
    // Black on yellow reads better than white on yellow; white on green and red is fine.
    banner: (kind, text) => sgr(`1;${kind === 'capacity' ? '30' : '97'};${BACKGROUND[kind]}`, text),
    tone: (kind, text) => sgr(`1;${FOREGROUND[kind]}`, text),
  };
}
