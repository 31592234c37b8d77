/**
 * A command could not do its job for a reason the user can act on (the example app would not
 * start, a file could not be written). Printed as it is, without a stack; exits 2.
 */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
