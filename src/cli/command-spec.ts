/**
 * What a command accepts, written once: the parser reads it, and `--help` is rendered from
 * it, so the help can never describe an option the parser does not take.
 *
 * @module
 */

export interface OptionSpec {
  /** The long name, without `--`. */
  readonly name: string;
  /** A one-letter alias, without `-`. */
  readonly short?: string;
  /** The value's placeholder in the help (`n`, `time`, `url`); absent for a flag. */
  readonly value?: string;
  /** The option may be given more than once. */
  readonly multiple?: boolean;
  /** The default as the user would type it, shown in the help. */
  readonly default?: string;
  /** What it does, one line. */
  readonly description: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** Usage lines after `leakproof `. */
  readonly usage: readonly string[];
  /** Paragraphs after the usage. */
  readonly description: readonly string[];
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  readonly examples: readonly string[];
  readonly exitCodes: readonly (readonly [code: number, meaning: string])[];
}

/** The exit codes shared by every command that measures something. */
export const EXIT_CODES = {
  ok: 0,
  leak: 1,
  usage: 2,
} as const;
