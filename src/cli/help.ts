/**
 * `--help` text, rendered from the same `CommandSpec` the parser reads.
 *
 * @module
 */
import type { CommandSpec, OptionSpec } from './command-spec.js';

const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', description: 'show this help and exit' };

/**
 * The help of one command: usage, description, arguments, every option with its default,
 * examples and exit codes.
 */
export function renderHelp(spec: CommandSpec): string {
  const sections = [
    `leakproof ${spec.name} — ${spec.summary}`,
    section(
      'Usage',
      spec.usage.map((line) => `leakproof ${line}`),
    ),
    ...(spec.description.length > 0 ? [spec.description.join('\n\n')] : []),
    ...(spec.positionals.length > 0 ? [section('Arguments', table(spec.positionals.map((p) => [`<${p.name}>`, p.description])))] : []),
    section('Options', table([...spec.options, HELP_OPTION].map((option) => [optionLabel(option), optionText(option)]))),
    section(
      'Examples',
      spec.examples.map((line) => (line.startsWith('#') || line === '' ? line : `$ ${line}`)),
    ),
    section('Exit codes', table(spec.exitCodes.map(([code, meaning]) => [String(code), meaning]))),
  ];
  return `${sections.join('\n\n')}\n`;
}

/** The top-level help: the commands and how to get each one's help. */
export function renderMainHelp(commands: readonly CommandSpec[], version: string): string {
  const sections = [
    `leakproof ${version} — request-scoped database connections that cannot leak, and a probe that proves it`,
    section('Usage', ['leakproof <command> [options]', 'leakproof <command> --help', 'leakproof --version']),
    section('Commands', table(commands.map((spec) => [spec.name, spec.summary]))),
    section('Start here', ['leakproof demo          # an example app, probed with an abort-heavy load; writes an HTML report']),
    section(
      'Exit codes',
      table([
        ['0', 'no leak (doctor: report printed)'],
        ['1', 'leak or over budget'],
        ['2', 'bad usage, or the target or database could not be reached'],
      ]),
    ),
  ];
  return `${sections.join('\n\n')}\n`;
}

function section(title: string, lines: readonly string[]): string {
  return `${title}:\n${lines.map((line) => (line === '' ? '' : `  ${line}`)).join('\n')}`;
}

/** Two columns, the second aligned; a long first column pushes its text to the next line. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(30, Math.max(...rows.map(([left]) => left.length)) + 2);
  return rows.flatMap(([left, right]) => {
    const lines = right.split('\n');
    const first = left.length + 2 > width ? [left, `${' '.repeat(width)}${lines[0]}`] : [`${left.padEnd(width)}${lines[0]}`];
    return [...first, ...lines.slice(1).map((line) => `${' '.repeat(width)}${line}`)];
  });
}

function optionLabel(option: OptionSpec): string {
  const short = option.short === undefined ? '    ' : `-${option.short}, `;
  return `${short}--${option.name}${option.value === undefined ? '' : ` <${option.value}>`}`;
}

function optionText(option: OptionSpec): string {
  const notes = [
    ...(option.default === undefined ? [] : [`default: ${option.default}`]),
    ...(option.multiple === true ? ['repeatable'] : []),
  ];
  return notes.length === 0 ? option.description : `${option.description} (${notes.join('; ')})`;
}
