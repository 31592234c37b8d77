/**
 * `leakproof demo`: the example app, probed with an abort-heavy load, with a report.
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { maskUrl } from '../../secrets/mask-secrets.js';
import { optionFlag, parseCommand, type ParsedCommand } from '../args.js';
import { wantsColor, type CliIo } from '../cli-io.js';
import { EXIT_CODES } from '../command-spec.js';
import { FULL_PLAN, QUICK_PLAN, demoProbeOptions, type DemoPlan } from '../demo/demo-plan.js';
import { startPollsApp, type PollsApp } from '../demo/start-polls-app.js';
import { formatDuration } from '../duration.js';
import { renderHelp } from '../help.js';
import { probeAndReport, type ReportOptions } from '../probe-and-report.js';
import { DEMO_REPORT, demoSpec } from './demo-spec.js';
import { reportPath } from './probe.js';

const SERVER_URL = /^(mysql|mariadb|postgres|postgresql):\/\//i;

interface DemoSettings {
  readonly plan: DemoPlan;
  readonly report: ReportOptions & { readonly htmlPath: string };
  /** Whether the report goes to the default file (then the outro names it). */
  readonly defaultReport: boolean;
}

/** Runs `leakproof demo`; resolves with the verdict's exit code. */
export async function demoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(demoSpec, argv);
  if (parsed.help) {
    io.stdout.write(renderHelp(demoSpec));
    return EXIT_CODES.ok;
  }
  const settings = demoSettings(parsed, io);
  const database = demoDatabase(io.env['DATABASE_URL']);
  try {
    const app = await startPollsApp({ databaseUrl: database.url, stderr: io.stderr });
    try {
      return await probeApp(app, database, settings, io);
    } finally {
      await app.stop();
    }
  } finally {
    database.cleanup();
  }
}

function demoSettings(parsed: ParsedCommand, io: CliIo): DemoSettings {
  const htmlPath = reportPath(parsed, io.cwd);
  const color = wantsColor(io, io.stdout, optionFlag(parsed, 'no-color'));
  return {
    plan: optionFlag(parsed, 'quick') ? QUICK_PLAN : FULL_PLAN,
    report: { json: optionFlag(parsed, 'json'), color, htmlPath: htmlPath ?? resolve(io.cwd, DEMO_REPORT) },
    defaultReport: htmlPath === undefined,
  };
}

interface DemoDatabase {
  readonly url: string;
  /** How the introduction names it (never with a password). */
  readonly label: string;
  /** Whether the probe can count on the server itself (MySQL/PostgreSQL) rather than the app's gauge. */
  readonly server: boolean;
  cleanup(): void;
}

/** `DATABASE_URL` when set, else a SQLite file in a temporary directory removed afterwards. */
function demoDatabase(databaseUrl: string | undefined): DemoDatabase {
  if (databaseUrl !== undefined && databaseUrl !== '') {
    return { url: databaseUrl, label: maskUrl(databaseUrl), server: SERVER_URL.test(databaseUrl), cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-demo-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  return { url: `sqlite:${join(dir, 'polls.sqlite3')}`, label: 'SQLite in a temporary file', server: false, cleanup };
}

async function probeApp(app: PollsApp, database: DemoDatabase, settings: DemoSettings, io: CliIo): Promise<number> {
  const metricsUrl = `http://127.0.0.1:${app.port}/metrics`;
  const options = demoProbeOptions(settings.plan, { port: app.port, db: database.server ? database.url : metricsUrl });
  io.stderr.write(introduction(app, database, settings.plan, metricsUrl));
  const result = await probeAndReport(options, settings.report, io);
  io.stderr.write(outro(result.verdict.exitCode, settings.defaultReport));
  return result.verdict.exitCode;
}

function introduction(app: PollsApp, database: DemoDatabase, plan: DemoPlan, metricsUrl: string): string {
  const counted = database.server ? 'on the database server itself' : `from the app's gauge at ${metricsUrl}`;
  return (
    [
      'leakproof demo: the polls example app, probed with clients that walk away mid-request.',
      `  app       http://127.0.0.1:${app.port}/polls  (examples/polls; pool of 10, idle connections closed after 1 s)`,
      `  database  ${database.label}; connections counted ${counted}`,
      `  load      POST /polls/1/slow, ${plan.concurrency} clients, ${plan.rounds} rounds of ${formatDuration(plan.roundMs)}, ` +
        `${Math.round(plan.abortRatio * 100)} % leaving after ${formatDuration(plan.abortAfterMs)} in all 4 ways`,
      `  verdict   the count must be back to its baseline ${formatDuration(plan.settlePointsMs.at(-1) ?? 0)} after the load`,
      '',
    ].join('\n') + '\n'
  );
}

function outro(exitCode: number, defaultReport: boolean): string {
  const next =
    'Next: point it at your own app, e.g.\n  leakproof probe http://localhost:3000/some/endpoint --db mysql://app@localhost:3306/app';
  const open = defaultReport ? `Open ${DEMO_REPORT} in a browser for the chart.\n` : '';
  return `\n${open}${exitCode === 0 ? next : 'The demo app leaked: that is a bug in leakproof, please report it with the report attached.'}\n`;
}
