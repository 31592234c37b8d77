/**
 * What a command may touch of the outside world, passed in so tests run commands in-process
 * against strings instead of the real terminal.
 *
 * @module
 */

/** The part of a writable stream the CLI writes to. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (`--report`, `--body @file`) are resolved against this. */
  readonly cwd: string;
  /** Aborted on Ctrl-C: a long command stops early and still reports what it saw. */
  readonly signal: AbortSignal;
}

/**
 * Whether `stream` should get ANSI colours: a terminal, no `--no-color`, and no `NO_COLOR`
 * (https://no-color.org) in the environment.
 */
export function wantsColor(io: CliIo, stream: OutputStream, noColorFlag: boolean): boolean {
  if (noColorFlag || (io.env['NO_COLOR'] ?? '') !== '') return false;
  return stream.isTTY === true;
}
