/**
 * The `leakproof` command line as a function: argv and I/O in, exit code out. `main.ts` binds
 * it to the process; tests call it directly.
 *
 * Exit codes: 0 no leak, 1 leak or over budget, 2 bad usage or nothing could be measured
 * (unreachable target or database, or the command failed).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { LeakproofError } from '../errors/errors.js';
import { scrub, secretsOf } from '../secrets/mask-secrets.js';
import type { CliIo, OutputStream } from './cli-io.js';
import type { CommandSpec } from './command-spec.js';
import { EXIT_CODES } from './command-spec.js';
import { demoCommand } from './commands/demo.js';
import { demoSpec } from './commands/demo-spec.js';
import { doctorCommand } from './commands/doctor.js';
import { doctorSpec } from './commands/doctor-spec.js';
import { probeCommand } from './commands/probe.js';
import { probeSpec } from './commands/probe-spec.js';
import { closest } from './args.js';
import { renderHelp, renderMainHelp } from './help.js';
import { CliError } from './cli-error.js';
import { CliUsageError } from './usage-error.js';

interface Command {
  readonly spec: CommandSpec;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** In the order the help lists them: the demo first, it is where a newcomer starts. */
const COMMANDS: readonly Command[] = [
  { spec: demoSpec, run: demoCommand },
  { spec: probeSpec, run: probeCommand },
  { spec: doctorSpec, run: doctorCommand },
];

/**
 * Runs one `leakproof` command line. Everything written to stdout and stderr has passwords
 * masked, whichever code produced it (I8).
 *
 * @example
 * const code = await runCli(['probe', '--help'], io);
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const safe = maskedIo(io, [...argv, io.env['DATABASE_URL'] ?? '']);
  const [name, ...rest] = argv;
  try {
    return await dispatch(name, rest, safe);
  } catch (error) {
    const code = reportError(error, name, safe);
    // CI reading --json output gets an object on stdout for a failure too, not nothing.
    if (wantsJson(rest)) safe.stdout.write(`${JSON.stringify(errorJson(error, code), null, 2)}\n`);
    return code;
  }
}

function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** `{ "error": { code, message, problems? }, "exitCode" }`: what `--json` prints when a command fails. */
function errorJson(error: unknown, exitCode: number): Record<string, unknown> {
  const code =
    error instanceof LeakproofError
      ? error.code
      : error instanceof CliUsageError
        ? 'CLI_USAGE'
        : error instanceof CliError
          ? 'CLI_ERROR'
          : 'UNEXPECTED';
  const message = error instanceof Error ? error.message : String(error);
  const problems = (error as { problems?: unknown }).problems;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return {
    error: { code, message, ...(Array.isArray(problems) ? { problems } : {}), ...(cause === undefined ? {} : { cause }) },
    exitCode,
  };
}

async function dispatch(name: string | undefined, argv: readonly string[], io: CliIo): Promise<number> {
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_CODES.ok;
  }
  if (name === '--help' || name === '-h' || name === 'help') return help(argv[0], io);
  if (name === undefined) {
    io.stderr.write(
      renderMainHelp(
        COMMANDS.map((c) => c.spec),
        packageVersion(),
      ),
    );
    return EXIT_CODES.usage;
  }
  return findCommand(name).run(argv, io);
}

/** `leakproof help [command]`. */
function help(name: string | undefined, io: CliIo): number {
  io.stdout.write(
    name === undefined
      ? renderMainHelp(
          COMMANDS.map((c) => c.spec),
          packageVersion(),
        )
      : renderHelp(findCommand(name).spec),
  );
  return EXIT_CODES.ok;
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (command !== undefined) return command;
  const known = COMMANDS.map((c) => c.spec.name);
  const guess = closest(name, known);
  const hint = name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`;
  throw new CliUsageError(`${hint}${guess === undefined ? '' : ` (did you mean ${guess}?)`}; commands: ${known.join(', ')}`);
}

/** Prints what went wrong, without a stack unless it is a bug; every failure here exits 2. */
function reportError(error: unknown, name: string | undefined, io: CliIo): number {
  const prefix =
    name === undefined || name.startsWith('-') || !COMMANDS.some((c) => c.spec.name === name) ? 'leakproof' : `leakproof ${name}`;
  if (error instanceof CliUsageError || (error instanceof LeakproofError && error.code === 'PROBE_USAGE')) {
    const command = error instanceof CliUsageError ? error.command : 'probe';
    const help = command === undefined ? 'leakproof --help' : `leakproof ${command} --help`;
    io.stderr.write(`${prefix}: ${error.message}\nRun "${help}" for usage.\n`);
  } else if (error instanceof LeakproofError || error instanceof CliError) {
    io.stderr.write(`${prefix}: ${error.message}${causeText(error)}${hint(error)}\n`);
  } else {
    io.stderr.write(
      `${prefix}: unexpected error, please report it: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  return EXIT_CODES.usage;
}

/** What to do next, for the failures that have an obvious next step. */
function hint(error: Error): string {
  if (!(error instanceof LeakproofError) || error.code !== 'DATABASE_REFUSED') return '';
  return (
    '\n  The server is at its connection limit. MySQL/MariaDB keep one more connection for a user with SUPER or ' +
    'CONNECTION ADMIN, PostgreSQL keeps superuser_reserved_connections for superusers: connect as one to see who holds the rest.'
  );
}

function causeText(error: Error): string {
  const cause = error.cause;
  if (!(cause instanceof Error) || error.message.includes(cause.message)) return '';
  return `\n  cause: ${cause.message}`;
}

/** The I/O with every write scrubbed of the passwords in `sources` and of any `//user:password@`. */
function maskedIo(io: CliIo, sources: readonly string[]): CliIo {
  // Short "passwords" would mask ordinary words in the output; URL-shaped ones are still masked.
  const secrets = secretsOf(sources.filter((source) => source.includes('://'))).filter((secret) => secret.length >= 3);
  const mask = (stream: OutputStream): OutputStream => ({
    write: (text: string) => stream.write(scrub(text, secrets)),
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
  });
  return { ...io, stdout: mask(io.stdout), stderr: mask(io.stderr) };
}

let version: string | undefined;

/** The package's version: `package.json` is two levels up from both `src/cli` and `dist/cli`. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
