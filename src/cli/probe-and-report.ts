/**
 * Runs the probe with a progress display and prints its result: what `leakproof probe` and
 * `leakproof demo` share. The probe, the reports and the progress bar are loaded on first use,
 * so `--help` and argument errors answer without loading them.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import type { ProbeOptions, ProbeResult } from '../probe/probe-result.js';
import type { CliIo } from './cli-io.js';

export interface ReportOptions {
  /** Print the JSON result on stdout instead of the text summary. */
  readonly json: boolean;
  /** Colour the text summary. */
  readonly color: boolean;
  /** Where to write the HTML report (absolute), if anywhere. */
  readonly htmlPath: string | undefined;
}

/** Probes, prints the result (text or JSON on stdout) and writes the HTML report if asked. */
export async function probeAndReport(options: ProbeOptions, report: ReportOptions, io: CliIo): Promise<ProbeResult> {
  const result = await probeWithProgress(options, io);
  await printResult(result, report, io);
  if (report.htmlPath !== undefined) await writeHtml(result, report.htmlPath, io);
  return result;
}

async function probeWithProgress(options: ProbeOptions, io: CliIo): Promise<ProbeResult> {
  const [{ runProbe }, { createProgress }] = await Promise.all([import('../probe/run-probe.js'), import('./progress.js')]);
  // Progress goes to stderr, so stdout carries only the result (and `--json` stays parseable).
  // createProgress reads only write, isTTY and columns, which every OutputStream has.
  const progress = createProgress(io.stderr as NodeJS.WriteStream);
  try {
    return await runProbe(options, { onProgress: (update) => progress.update(update), signal: io.signal });
  } finally {
    progress.done();
  }
}

async function printResult(result: ProbeResult, report: ReportOptions, io: CliIo): Promise<void> {
  if (report.json) {
    const { renderJson } = await import('../report/json-report.js');
    io.stdout.write(withNewline(renderJson(result)));
  } else {
    const { renderText } = await import('../report/text-report.js');
    io.stdout.write(withNewline(renderText(result, { color: report.color })));
  }
}

async function writeHtml(result: ProbeResult, path: string, io: CliIo): Promise<void> {
  const { renderHtml } = await import('../report/html-report.js');
  writeFileSync(path, renderHtml(result));
  io.stderr.write(`HTML report written to ${path}\n`);
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
