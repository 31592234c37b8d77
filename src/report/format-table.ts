/** A column of a plain-text table. Numbers read best right-aligned. */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

const GAP = '  ';

/**
 * Lays rows out under their headers, each column as wide as its widest cell, two spaces apart,
 * trailing spaces trimmed. Returns the header line followed by one line per row.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((column, index) => Math.max(textWidth(column.header), ...rows.map((row) => textWidth(row[index] ?? ''))));
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, index) => pad(cells[index] ?? '', widths[index] ?? 0, column.align ?? 'left'))
      .join(GAP)
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)];
}

// Built from a char code: a regex literal with an escape character trips no-control-regex.
const ANSI_STYLE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * Width in terminal columns: code points, not UTF-16 units, so `→` and `–` count once, and
 * colour codes count for nothing.
 */
export function textWidth(text: string): number {
  return [...text.replace(ANSI_STYLE, '')].length;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}
