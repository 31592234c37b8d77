/**
 * `leakproof probe <url> --db <url>`: load with disconnects, server-side counting, a verdict.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { optionFlag, optionString, parseCommand, usage, type ParsedCommand } from '../args.js';
import { wantsColor, type CliIo } from '../cli-io.js';
import { renderHelp } from '../help.js';
import { probeAndReport } from '../probe-and-report.js';
import { probeOptionsFrom } from './probe-options.js';
import { probeSpec } from './probe-spec.js';

/** Runs `leakproof probe`; resolves with the exit code (the verdict's: 0 or 1). */
export async function probeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(probeSpec, argv);
  if (parsed.help) {
    io.stdout.write(renderHelp(probeSpec));
    return 0;
  }
  const options = probeOptionsFrom(parsed, io.cwd, io.env);
  const htmlPath = reportPath(parsed, io.cwd);
  const color = wantsColor(io, io.stdout, optionFlag(parsed, 'no-color'));
  const result = await probeAndReport(options, { json: optionFlag(parsed, 'json'), color, htmlPath }, io);
  return result.verdict.exitCode;
}

/**
 * The absolute `--report` path, checked before the run: finding a missing directory after a
 * minute of load would throw the measurement away.
 */
export function reportPath(parsed: ParsedCommand, cwd: string): string | undefined {
  const given = optionString(parsed, 'report');
  if (given === undefined) return undefined;
  const path = resolve(cwd, given);
  if (!existsSync(dirname(path))) throw usage(parsed, `--report ${given}: the directory ${dirname(path)} does not exist`);
  return path;
}
