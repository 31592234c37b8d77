import { escapeHtml } from '../escape-html.js';

type AttrValue = string | number | undefined;

/**
 * One SVG element as a string. Attribute values are escaped here; `children` is markup the
 * caller built (use `svgText` for text), so nothing from the result is ever inserted raw.
 */
export function el(name: string, attrs: Readonly<Record<string, AttrValue>>, children: string | readonly string[] = ''): string {
  const attributes = Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeHtml(typeof value === 'number' ? px(value) : value)}"`)
    .join('');
  const body = typeof children === 'string' ? children : children.join('');
  return body === '' ? `<${name}${attributes}/>` : `<${name}${attributes}>${body}</${name}>`;
}

/** A `<text>` element with escaped content. */
export function svgText(attrs: Readonly<Record<string, AttrValue>>, content: string): string {
  return el('text', attrs, escapeHtml(content));
}

/** A coordinate with at most one decimal: enough for a screen, and keeps the file small. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}
