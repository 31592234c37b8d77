/** The area a text label covers, to keep labels from overprinting each other. */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Average advance of the chart's 11.5 px bold label font; a little generous on purpose. */
const CHAR_WIDTH = 6.6;
const ASCENT = 11;

/** The box of a one-line label whose baseline is at `y`, anchored at `x`. */
export function labelBox(x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end' = 'start'): Box {
  const width = text.length * CHAR_WIDTH;
  const left = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width;
  return { left, top: y - ASCENT, right: left + width, bottom: y + 3 };
}

export function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}
