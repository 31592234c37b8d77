/**
 * Bad command-line usage. The CLI prints the message with a pointer to the command's `--help`
 * and exits 2, the same code as an unreachable target: either way nothing was measured.
 */
export class CliUsageError extends Error {
  /** The command whose `--help` to point at (`probe`, `doctor`, `demo`), or none for the top level. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = 'CliUsageError';
    this.command = command;
  }
}
