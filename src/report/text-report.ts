import type { ProbeResult, RoundSummary, Verdict } from '../probe/probe-result.js';
import { configSummary } from './config-summary.js';
import { formatCount, formatDuration, formatLimit, formatLatency, formatSeconds } from './format.js';
import { formatTable, textWidth, type Column } from './format-table.js';
import { keyPoints } from './key-points.js';
import { maskText } from '../secrets/mask-secrets.js';
import { createPainter, type Painter } from './painter.js';
import { namedSessionLines, sessionClassItems, shapeItems } from './session-lines.js';
import { VERDICT_LABELS } from './verdict-label.js';
import { wrapItems, wrapWords } from './wrap-items.js';

/** No line of the report is wider than this, so it survives terminals, CI logs and PR comments. */
export const TEXT_WIDTH = 100;
const LABEL_WIDTH = 13;

/**
 * The probe's result as a terminal summary: the verdict first and big, its reasons, the
 * connection story (baseline → peak → settle), a table per round, totals and the config.
 *
 * @example
 * process.stdout.write(renderText(result, { color: process.stdout.isTTY }));
 */
export function renderText(result: ProbeResult, options: { color?: boolean } = {}): string {
  const paint = createPainter(options.color === true);
  const sections = [
    [...verdictBanner(result.verdict, paint, options.color === true), ...reasonLines(result.verdict.reasons)],
    [...connectionLines(result, paint), ...labelled('Database', [databaseValue(result)])],
    sessionLines(result),
    roundTable(result, paint),
    [...labelled('Statuses', statusItems(result.totals.statusCounts)), ...configLines(result), ...runLines(result)],
  ];
  return sections.map((lines) => lines.join('\n')).join('\n\n') + '\n';
}

/** A framed badge with the verdict word, the headline beside it; a solid colour block with colour on. */
function verdictBanner(verdict: Verdict, paint: Painter, color: boolean): string[] {
  const label = VERDICT_LABELS[verdict.kind];
  const word = `  ${label.symbol} ${label.title}  `;
  const headline = `  ${paint.tone(verdict.kind, label.headline)}`;
  const blank = ' '.repeat(textWidth(word));
  if (color) {
    return [paint.banner(verdict.kind, blank), paint.banner(verdict.kind, word) + headline, paint.banner(verdict.kind, blank)];
  }
  const rule = '─'.repeat(textWidth(word));
  return [`╭${rule}╮`, `│${word}│${headline}`, `╰${rule}╯`];
}

/** What the sessions did, the stranded ones by name, what each shape cut, and the warnings. */
function sessionLines(result: ProbeResult): string[] {
  const named = namedSessionLines(result).flatMap((line) => wrapWords(line, { prefix: '  ', width: TEXT_WIDTH }));
  const warnings = result.warnings.flatMap((warning) => wrapWords(maskText(warning), { prefix: '  ! ', width: TEXT_WIDTH }));
  const shapes = shapeItems(result);
  return [
    ...labelled('Sessions', sessionClassItems(result)),
    ...named,
    ...(shapes.length > 0 ? labelled('Shapes', shapes) : []),
    ...warnings,
  ];
}

function reasonLines(reasons: readonly string[]): string[] {
  return reasons.flatMap((reason) => wrapWords(maskText(reason), { prefix: '  • ', width: TEXT_WIDTH }));
}

/** baseline → peak → each settle point, every one with the moment it was read. */
function connectionLines(result: ProbeResult, paint: Painter): string[] {
  const points = keyPoints(result);
  const round = points.peak.round === undefined ? '' : ` (round ${points.peak.round + 1})`;
  const settle = points.settle.map(
    (point, index) =>
      `${index === 0 ? 'settled ' : ''}${paint.tone(result.verdict.kind, formatCount(point.connections))} after ${formatDuration(point.afterMs)} (${formatSeconds(point.t)})`,
  );
  const items = [
    `baseline ${formatCount(points.baseline.connections)} at ${formatSeconds(points.baseline.t)}`,
    `peak ${paint.bold(formatCount(points.peak.connections))} at ${formatSeconds(points.peak.t)}${round}`,
    ...(settle.length > 0 ? settle : ['settle not measured']),
  ].map((item, index) => (index === 0 ? item : `→ ${item}`));
  return [...labelled('Connections', items, ' '), ...labelled('Limits', limitItems(result))];
}

function limitItems(result: ProbeResult): string[] {
  const { baseline, config } = result;
  const idle = result.restingLevel.allowedIdle;
  const source = result.restingLevel.source === 'learned' ? 'resting level learned' : 'allowed idle';
  return [
    `at rest ≤ ${formatCount(baseline + idle)} (baseline ${formatCount(baseline)} + ${source} ${formatCount(idle)})`,
    `budget ${config.maxConnections === undefined ? 'none' : formatCount(config.maxConnections)}`,
  ];
}

function databaseValue(result: ProbeResult): string {
  return `${result.database.kind} · ${formatLimit(result.database)}`;
}

const ROUND_COLUMNS: readonly Column[] = [
  { header: 'Round' },
  { header: 'Time' },
  { header: 'Requests', align: 'right' },
  { header: 'OK', align: 'right' },
  { header: 'Errors', align: 'right' },
  { header: 'Disconnects', align: 'right' },
  { header: 'Refusals', align: 'right' },
  { header: 'Peak', align: 'right' },
  { header: 'Floor', align: 'right' },
  { header: 'p50', align: 'right' },
  { header: 'p99', align: 'right' },
];
const TIME_COLUMN = 1;

/** One row per round and a total; the time column goes first if the table would be too wide. */
function roundTable(result: ProbeResult, paint: Painter): string[] {
  const rows = [...result.rounds.map(roundRow), totalRow(result)];
  let lines = formatTable(ROUND_COLUMNS, rows);
  if (Math.max(...lines.map(textWidth)) > TEXT_WIDTH) {
    lines = formatTable(
      ROUND_COLUMNS.filter((_, i) => i !== TIME_COLUMN),
      rows.map((row) => row.filter((_, i) => i !== TIME_COLUMN)),
    );
  }
  const [header = '', ...body] = lines;
  return [paint.bold(header), ...body];
}

function roundRow(round: RoundSummary): string[] {
  return [
    String(round.index + 1),
    timeSpan(round.startedAt, round.endedAt),
    ...[round.requests, round.ok, round.errors, round.disconnects, round.refusals, round.peak].map(formatCount),
    round.floor === undefined ? '—' : formatCount(round.floor),
    formatLatency(round.latencyMs.p50),
    formatLatency(round.latencyMs.p99),
  ];
}

function totalRow(result: ProbeResult): string[] {
  const { totals, rounds } = result;
  const span = rounds.length === 0 ? '—' : timeSpan(rounds[0]?.startedAt ?? 0, rounds.at(-1)?.endedAt ?? 0);
  return [
    'total',
    span,
    ...[totals.requests, totals.ok, totals.errors, totals.disconnects, totals.refusals, result.peak].map(formatCount),
    '—',
    '—',
    '—',
  ];
}

function timeSpan(from: number, to: number): string {
  return `${(from / 1000).toFixed(1)}–${formatSeconds(to)}`;
}

function statusItems(counts: Readonly<Record<string, number>>): string[] {
  const items = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([status, count]) => `${status} × ${formatCount(count)}`);
  return items.length > 0 ? items : ['none'];
}

function configLines(result: ProbeResult): string[] {
  const items = configSummary(result.config).map((item) => (item.label === 'target' ? item.value : `${item.label} ${item.value}`));
  return labelled('Config', items);
}

function runLines(result: ProbeResult): string[] {
  return labelled('Run', [
    `${result.tool.name} ${result.tool.version}`,
    `started ${result.startedAt}`,
    `took ${formatDuration(result.durationMs)}`,
    `${formatCount(result.samples.length)} samples`,
  ]);
}

/** `Label        item · item · item`, wrapped under the first item at the report's width. */
function labelled(label: string, items: readonly string[], separator = ' · '): string[] {
  return wrapItems(items, { prefix: label.padEnd(LABEL_WIDTH), separator, width: TEXT_WIDTH });
}
