#!/usr/bin/env node
/**
 * The `leakproof` bin: binds `runCli` to the process. Ctrl-C once stops the run early and
 * still prints what was measured; twice quits at once.
 *
 * @module
 */
import { runCli } from './run-cli.js';

/** How long to wait for stray handles after the command finished before exiting anyway. */
const EXIT_GRACE_MS = 2000;

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  process.stderr.write('\nstopping… (Ctrl-C again to quit at once)\n');
  interrupt.abort();
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: interrupt.signal,
});
// The command is done; a socket or timer someone forgot must not keep the terminal waiting.
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
