/**
 * A column value as text: drivers return strings, numbers, bigints or Buffers (MySQL's binary
 * collations); NULL becomes ''.
 */
export function rowText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value === null || value === undefined) return '';
      return Buffer.isBuffer(value) ? value.toString('utf8') : (JSON.stringify(value) ?? '');
  }
}
