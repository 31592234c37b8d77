/**
 * What each driver accepts, checked before any driver sees it: URL query parameters and
 * `driver: {...}` options, by name, type, range and allowed values.
 *
 * The drivers throw on many bad values from inside their own socket event handlers, where
 * nothing can catch them (`postgres://…?application_name=true`, `driver: { user: 42 }`,
 * `?types=0`, mysql2's `maxPreparedStatements: 0` with the server down): the process dies.
 * So `createDatabases` refuses every value these rules do not allow, as `CONFIG_INVALID`, and
 * the drivers only ever get values of the types they expect.
 *
 * A rule file per driver (`postgres/pg-options.ts`, `mysql/mysql2-options.ts`, …) lists its
 * options; this file holds what they share. Nothing here loads a driver package.
 *
 * @module
 */
import { statSync } from 'node:fs';
import { isSecretKey } from '../secrets/mask-secrets.js';

/** One option's rule. */
export type OptionRule =
  | { readonly type: 'string'; readonly pattern?: RegExp; readonly expected?: string }
  | { readonly type: 'boolean' }
  | { readonly type: 'integer'; readonly min: number; readonly max: number; readonly unit?: string }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly caseless?: boolean }
  /** A path to a readable file (TLS material), checked to exist when the config is made; or one of `words`. */
  | { readonly type: 'file'; readonly words?: readonly string[] }
  /** Anything `check` accepts (it returns what is wrong, or undefined); in `driver: {}` only. */
  | { readonly type: 'value'; readonly expected: string; readonly check: (value: unknown) => string | undefined }
  /** Refused: leakproof sets it itself, or it would break the pool; `use` says what to do instead. */
  | { readonly type: 'refused'; readonly use: string };

export type OptionRules = Readonly<Record<string, OptionRule>>;

/** A value that came out of a URL: still a string, but typed by its rule for the driver. */
export type OptionValue = string | number | boolean;

const MAX_INT32 = 2_147_483_647;

/** Rules shared by several drivers. */
export const RULES = {
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  port: { type: 'integer', min: 1, max: 65_535 },
  file: { type: 'file' },
  ms: { type: 'integer', min: 0, max: MAX_INT32, unit: 'milliseconds' },
  count: (min: number, max: number) => ({ type: 'integer', min, max }) as const,
  function: {
    type: 'value',
    expected: 'a function',
    check: (value: unknown) => (typeof value === 'function' ? undefined : 'must be a function'),
  },
  object: { type: 'value', expected: 'an object', check: (value: unknown) => (isPlainObject(value) ? undefined : 'must be an object') },
  refused: (use: string) => ({ type: 'refused', use }) as const,
} as const satisfies Record<string, OptionRule | ((...args: never[]) => OptionRule)>;

/** A `value` rule built from several accepted shapes. */
export function oneOf(expected: string, ...checks: ReadonlyArray<(value: unknown) => boolean>): OptionRule {
  return { type: 'value', expected, check: (value) => (checks.some((check) => check(value)) ? undefined : `must be ${expected}`) };
}

export const is = {
  string: (value: unknown): boolean => typeof value === 'string' && !value.includes('\0'),
  boolean: (value: unknown): boolean => typeof value === 'boolean',
  function: (value: unknown): boolean => typeof value === 'function',
  object: (value: unknown): boolean => isPlainObject(value),
  stringArray: (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string' && !item.includes('\0')),
  pem: (value: unknown): boolean =>
    is.string(value) || Buffer.isBuffer(value) || (Array.isArray(value) && value.every((item) => is.string(item) || Buffer.isBuffer(item))),
};

/** What the drivers' option checks report: one line per problem, naming where the option came from. */
export interface OptionSource {
  /** `URL parameter` or `driver option`. */
  readonly kind: 'url' | 'driver';
  /** The package, for messages: `pg`, `mysql2`, … */
  readonly packageName: string;
}

/**
 * Checks every option against `rules`, pushing one problem per bad or unknown option.
 * `prefix` starts each problem (the alias).
 */
export function checkOptions(
  rules: OptionRules,
  values: Readonly<Record<string, unknown>>,
  source: OptionSource,
  prefix: string,
  problems: string[],
): void {
  // An unencoded `&` in a `?password=` value splits it, and its tail becomes a "parameter" whose
  // name is part of the password: with a credential in the query, unknown names are not shown.
  const hideNames =
    source.kind === 'url' &&
    Object.entries(values).some(([key, value]) => isSecretKey(key) || /pass|pwd|secret|token|auth/i.test(`${key}=${String(value)}`));
  for (const [key, value] of Object.entries(values)) {
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    const name = `${source.kind === 'url' ? 'URL parameter' : 'driver option'} "${shorten(key)}"`;
    if (rule === undefined && hideNames) {
      problems.push(
        `${prefix} an unknown URL parameter for ${source.packageName} (its name is not shown because the URL has a credential parameter: an "&" in a password must be percent-encoded as %26)`,
      );
      continue;
    }
    if (rule === undefined) {
      problems.push(`${prefix} unknown ${name} for ${source.packageName}${suggest(key, Object.keys(rules))}`);
      continue;
    }
    if (source.kind === 'driver' && value === undefined) continue;
    const problem = source.kind === 'url' ? checkUrlValue(rule, String(value)) : checkDriverValue(rule, value);
    // The value of a credential is never shown, not even a wrong one.
    if (problem !== undefined) problems.push(`${prefix} ${name} ${isSecretKey(key) ? problem.replace(/, got [\s\S]*$/, '') : problem}`);
  }
}

/** The URL's string values typed as their rules say (`'true'` → true, `'5'` → 5), for the driver. */
export function typedParams(rules: OptionRules, params: Readonly<Record<string, string>>): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const [key, value] of Object.entries(params)) {
    const rule = rules[key];
    out[key] = rule?.type === 'boolean' ? (parseBoolean(value) ?? value) : rule?.type === 'integer' ? Number(value) : value;
  }
  return out;
}

function checkUrlValue(rule: OptionRule, value: string): string | undefined {
  switch (rule.type) {
    case 'string':
      return checkString(rule, value);
    case 'boolean':
      return parseBoolean(value) === undefined ? `must be true or false (or 1 / 0), got ${describe(value)}` : undefined;
    case 'integer':
      return /^-?\d{1,16}$/.test(value.trim())
        ? checkRange(rule, Number(value))
        : `must be a whole number${rule.unit === undefined ? '' : ` of ${rule.unit}`}, got ${describe(value)}`;
    case 'enum':
      return checkEnum(rule, value);
    case 'file':
      return rule.words?.includes(value) === true ? undefined : checkFile(value);
    case 'value':
      return `must be ${rule.expected}: set it in driver: {...}, a URL can only give a string`;
    case 'refused':
      return `cannot be set: ${rule.use}`;
  }
}

function checkDriverValue(rule: OptionRule, value: unknown): string | undefined {
  switch (rule.type) {
    case 'string':
      return typeof value === 'string' ? checkString(rule, value) : `must be a string, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${describe(value)}`;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
        ? checkRange(rule, value)
        : `must be a whole number${rule.unit === undefined ? '' : ` of ${rule.unit}`}, got ${describe(value)}`;
    case 'enum':
      return typeof value === 'string' ? checkEnum(rule, value) : `must be one of ${rule.values.join(', ')}, got ${describe(value)}`;
    case 'file':
      if (typeof value !== 'string') return `must be the path of a file, got ${describe(value)}`;
      return rule.words?.includes(value) === true ? undefined : checkFile(value);
    case 'value': {
      const problem = rule.check(value);
      return problem === undefined ? undefined : `${problem}, got ${describe(value)}`;
    }
    case 'refused':
      return `cannot be set: ${rule.use}`;
  }
}

function checkString(rule: Extract<OptionRule, { type: 'string' }>, value: string): string | undefined {
  if (value.includes('\0')) return 'must not contain a NUL character';
  if (rule.pattern !== undefined && !rule.pattern.test(value))
    return `must be ${rule.expected ?? `like ${String(rule.pattern)}`}, got ${describe(value)}`;
  return undefined;
}

function checkRange(rule: Extract<OptionRule, { type: 'integer' }>, value: number): string | undefined {
  return value < rule.min || value > rule.max ? `must be between ${rule.min} and ${rule.max}, got ${value}` : undefined;
}

function checkEnum(rule: Extract<OptionRule, { type: 'enum' }>, value: string): string | undefined {
  const found = rule.values.some((allowed) => (rule.caseless === true ? allowed.toLowerCase() === value.toLowerCase() : allowed === value));
  return found ? undefined : `must be one of ${rule.values.join(', ')}, got ${describe(value)}`;
}

function checkFile(path: string): string | undefined {
  if (path === '' || path.includes('\0')) return 'must be the path of a file';
  try {
    if (!statSync(path).isFile()) return `must be the path of a file; ${describe(path)} is not a file`;
  } catch {
    return `must be the path of a readable file; ${describe(path)} does not exist or cannot be read`;
  }
  return undefined;
}

/** `true`/`false`/`1`/`0` (any case), as the native clients read their flags. */
export function parseBoolean(value: string): boolean | undefined {
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function suggest(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase().replace(/[-_]/g, '');
  const near =
    known.find((name) => name.toLowerCase().replace(/[-_]/g, '') === lower) ??
    known.find((name) => Math.abs(name.length - key.length) <= 2 && editDistance(name.toLowerCase(), key.toLowerCase()) <= 2);
  return near === undefined ? '' : ` (did you mean "${near}"?)`;
}

/** Levenshtein distance, for did-you-mean hints (long names never match). */
export function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitute);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * A short description of a bad value that never echoes a long string (it could be a secret)
 * and never calls into the value (a getter, a `toString`, a Proxy could throw).
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 24 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return Buffer.isBuffer(value) ? 'a Buffer' : 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}
