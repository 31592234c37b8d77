/**
 * The command-line parser: `node:util`'s `parseArgs` driven by a `CommandSpec`, and typed
 * readers that turn option text into numbers, durations and lists with messages that say what
 * was expected. Readers return only what the user typed; the defaults live with the code that
 * applies them (and the help shows them).
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandSpec } from './command-spec.js';
import { formatDuration, parseDuration } from './duration.js';
import { CliUsageError } from './usage-error.js';

export type OptionValue = string | boolean | string[] | undefined;

export interface ParsedCommand {
  readonly spec: CommandSpec;
  readonly values: Readonly<Record<string, OptionValue>>;
  readonly positionals: readonly string[];
  /** `--help` or `-h` was given: show the help and ignore everything else (even mistakes). */
  readonly help: boolean;
}

/**
 * Parses `argv` (the words after the command name) against `spec`. Throws `CliUsageError`
 * for an unknown option (with the closest known one), a missing value or an extra argument.
 *
 * @example
 * const parsed = parseCommand(probeSpec, ['http://localhost:3000/', '--db', 'mysql://app@db/app']);
 * optionInteger(parsed, 'concurrency', { min: 1 }); // undefined: not given
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  // Asking for help wins over any other mistake on the same line.
  if (wantsHelp(argv)) return { spec, values: {}, positionals: [], help: true };
  let parsed: { values: Record<string, OptionValue>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: joinNegativeValues(spec, argv),
      options: parseArgsOptions(spec),
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw new CliUsageError(parseArgsMessage(error, spec), spec.name);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    const extra = parsed.positionals[spec.positionals.length]!;
    throw new CliUsageError(`unexpected argument "${extra}"`, spec.name);
  }
  return { spec, values: parsed.values, positionals: parsed.positionals, help: false };
}

/**
 * `--concurrency -3` as `--concurrency=-3`: parseArgs reads a word starting with `-` as the
 * next option, so the range check would never see the negative number the user typed.
 */
function joinNegativeValues(spec: CommandSpec, argv: readonly string[]): string[] {
  const takesValue = new Set(
    spec.options.filter((o) => o.value !== undefined).flatMap((o) => [`--${o.name}`, ...(o.short === undefined ? [] : [`-${o.short}`])]),
  );
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

function parseArgsOptions(spec: CommandSpec): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const option of spec.options) {
    options[option.name] = {
      type: option.value === undefined ? 'boolean' : 'string',
      ...(option.short === undefined ? {} : { short: option.short }),
      ...(option.multiple === true ? { multiple: true } : {}),
    };
  }
  return options;
}

/** `parseArgs` messages, made shorter and pointed at the fix. */
function parseArgsMessage(error: unknown, spec: CommandSpec): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined) {
    const known = ['help', ...spec.options.map((o) => o.name)];
    const guess = closest(option.replace(/^-+/, '').split('=')[0]!, known);
    return `unknown option ${option}${guess === undefined ? '' : ` (did you mean --${guess}?)`}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    return /argument missing/.test(message) ? `${option} needs a value` : `${option} does not take a value`;
  }
  return message;
}

/** The known name within edit distance 2 of `name`, if any: a typo, not a different option. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The text of `--name` as given (the last one if repeated), or undefined. */
export function optionString(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  if (Array.isArray(value)) return value.at(-1);
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable option, in order. */
export function optionStrings(parsed: ParsedCommand, name: string): string[] {
  const value = parsed.values[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}

export function optionFlag(parsed: ParsedCommand, name: string): boolean {
  return parsed.values[name] === true;
}

/** The value of a required option; a usage error naming it when it is missing. */
export function requireOption(parsed: ParsedCommand, name: string, why: string): string {
  const value = optionString(parsed, name);
  if (value === undefined || value === '') throw usage(parsed, `missing --${name}: ${why}`);
  return value;
}

export interface Range {
  readonly min?: number;
  readonly max?: number;
}

/** A whole number within `range`. */
export function optionInteger(parsed: ParsedCommand, name: string, range: Range = {}): number | undefined {
  const text = optionString(parsed, name);
  if (text === undefined) return undefined;
  const value = /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw usage(parsed, `--${name} must be a whole number${describeRange(range)}, got "${text}"`);
  return checkRange(parsed, name, value, range, text);
}

/** A decimal number within `range`. */
export function optionNumber(parsed: ParsedCommand, name: string, range: Range = {}): number | undefined {
  const text = optionString(parsed, name);
  if (text === undefined) return undefined;
  const value = /^-?(\d+(\.\d*)?|\.\d+)$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw usage(parsed, `--${name} must be a number${describeRange(range)}, got "${text}"`);
  return checkRange(parsed, name, value, range, text);
}

/** A human duration (`30s`, `500ms`, `2m`) in ms, within `range` (in ms). */
export function optionDuration(parsed: ParsedCommand, name: string, range: Range = {}): number | undefined {
  const text = optionString(parsed, name);
  if (text === undefined) return undefined;
  return checkRange(parsed, name, duration(parsed, name, text), range, text, formatDuration);
}

/** A comma-separated list of durations, in ms, as given. */
export function optionDurations(parsed: ParsedCommand, name: string): number[] | undefined {
  return optionList(parsed, name)?.map((text) => duration(parsed, name, text));
}

/** A comma-separated list, trimmed, empty items dropped. */
export function optionList(parsed: ParsedCommand, name: string): string[] | undefined {
  const text = optionString(parsed, name);
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw usage(parsed, `--${name} needs at least one value, got "${text}"`);
  return items;
}

/** A usage error for the command being parsed. */
export function usage(parsed: ParsedCommand, message: string): CliUsageError {
  return new CliUsageError(message, parsed.spec.name);
}

function duration(parsed: ParsedCommand, name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw usage(parsed, `--${name}: ${(error as Error).message}`);
  }
}

function checkRange(
  parsed: ParsedCommand,
  name: string,
  value: number,
  range: Range,
  text: string,
  format: (value: number) => string = String,
): number {
  if ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max)) {
    throw usage(parsed, `--${name} must be${describeRange(range, format)}, got "${text}"`);
  }
  return value;
}

function describeRange(range: Range, format: (value: number) => string = String): string {
  if (range.min !== undefined && range.max !== undefined) return ` from ${format(range.min)} to ${format(range.max)}`;
  if (range.min !== undefined) return ` at least ${format(range.min)}`;
  return range.max === undefined ? '' : ` at most ${format(range.max)}`;
}
