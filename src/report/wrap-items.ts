import { textWidth } from './format-table.js';

/**
 * Packs `items` into lines of at most `width` columns, joined by `separator`: the first line
 * starts with `prefix`, the next ones are indented as deep. An item too long for a line on its
 * own is cut with `…` so that no line ever passes `width`.
 */
export function wrapItems(items: readonly string[], options: { prefix: string; separator: string; width: number }): string[] {
  const indent = ' '.repeat(textWidth(options.prefix));
  const room = options.width - indent.length;
  const lines: string[] = [];
  let current = '';
  for (const item of items.map((text) => truncate(text, room))) {
    const joined = current === '' ? item : current + options.separator + item;
    if (current !== '' && textWidth(joined) > room) {
      lines.push(current);
      current = item;
    } else {
      current = joined;
    }
  }
  lines.push(current);
  return lines.map((line, index) => (index === 0 ? options.prefix : indent) + line);
}

/** Word-wraps prose to `width` columns, continuation lines indented like the first. */
export function wrapWords(text: string, options: { prefix: string; width: number }): string[] {
  return wrapItems(
    text.split(/\s+/).filter((word) => word !== ''),
    { ...options, separator: ' ' },
  );
}

function truncate(text: string, room: number): string {
  const chars = [...text];
  return chars.length <= room ? text : chars.slice(0, Math.max(0, room - 1)).join('') + '…';
}
