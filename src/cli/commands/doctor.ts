/**
 * `leakproof doctor --db <url>`: the server's own view of who holds connections now.
 *
 * @module
 */
import { optionDuration, optionFlag, optionInteger, parseCommand, requireOption, usage, type ParsedCommand } from '../args.js';
import { wantsColor, type CliIo } from '../cli-io.js';
import { EXIT_CODES } from '../command-spec.js';
import { renderHelp } from '../help.js';
import { renderDoctor } from '../render-doctor.js';
import type { DoctorOptions } from '../../doctor/doctor-report.js';
import { doctorSpec } from './doctor-spec.js';

/** Runs `leakproof doctor`; resolves with 0 once the report is printed. */
export async function doctorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(doctorSpec, argv);
  if (parsed.help) {
    io.stdout.write(renderHelp(doctorSpec));
    return EXIT_CODES.ok;
  }
  const options = doctorOptionsFrom(parsed);
  const { runDoctor } = await import('../../doctor/run-doctor.js');
  const report = await runDoctor(options);
  io.stdout.write(
    optionFlag(parsed, 'json')
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderDoctor(report, { color: wantsColor(io, io.stdout, optionFlag(parsed, 'no-color')) }),
  );
  return EXIT_CODES.ok;
}

export function doctorOptionsFrom(parsed: ParsedCommand): DoctorOptions {
  const db = requireOption(parsed, 'db', 'the database server to examine (mysql://, mariadb://, postgres://)');
  if (!/^(mysql|mariadb|postgres|postgresql):\/\//i.test(db)) {
    throw usage(parsed, '--db must be a mysql://, mariadb://, postgres:// or postgresql:// URL (SQLite has no server to ask)');
  }
  const processes = optionInteger(parsed, 'processes', { min: 1 });
  const budget = optionInteger(parsed, 'budget', { min: 1 });
  if ((processes === undefined) !== (budget === undefined))
    throw usage(parsed, 'give --processes and --budget together: the check is processes × budget against max_connections');
  const sleepingOlderThanMs = optionDuration(parsed, 'idle-older-than', { min: 0 });
  const connectTimeoutMs = optionDuration(parsed, 'timeout', { min: 1 });
  return {
    db,
    ...(processes === undefined ? {} : { processes }),
    ...(budget === undefined ? {} : { budget }),
    ...(sleepingOlderThanMs === undefined ? {} : { sleepingOlderThanMs }),
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
  };
}
