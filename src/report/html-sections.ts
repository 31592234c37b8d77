/**
 * The HTML report's sections, each a function of the result returning escaped markup.
 *
 * @module
 */
import type { ProbeResult, RoundSummary } from '../probe/probe-result.js';
import { configSummary } from './config-summary.js';
import { escapeHtml as h } from './escape-html.js';
import { formatCount, formatDuration, formatLimit, formatLatency, formatPercent, formatSeconds } from './format.js';
import { keyPoints } from './key-points.js';
import { unexplainedServerErrors } from '../probe/probe-warnings.js';
import { maskText } from '../secrets/mask-secrets.js';
import { VERDICT_LABELS } from './verdict-label.js';

/** The verdict, big and coloured, its headline and the reasons with their numbers. */
export function verdictSection(result: ProbeResult): string {
  const { kind, reasons } = result.verdict;
  const label = VERDICT_LABELS[kind];
  const items = reasons.map((reason) => `<li>${h(maskText(reason))}</li>`).join('');
  return `<header class="verdict" data-verdict="${h(kind)}">
<div class="verdict-badge"><span aria-hidden="true">${h(label.symbol)}</span> ${h(label.title)}</div>
<div class="verdict-text"><h1>${h(label.headline)}</h1>${items === '' ? '' : `<ul class="reasons">${items}</ul>`}</div>
</header>`;
}

/** The handful of numbers people look for first, as cards. */
export function factsSection(result: ProbeResult): string {
  const points = keyPoints(result);
  const last = points.settle.at(-1);
  const round = points.peak.round === undefined ? '' : `, round ${points.peak.round + 1}`;
  const cards = [
    card('Baseline', formatCount(points.baseline.connections), `connections at ${formatSeconds(points.baseline.t)}`),
    card('Peak', formatCount(points.peak.connections), `at ${formatSeconds(points.peak.t)}${round}`),
    card(
      'Settled',
      last === undefined ? '—' : formatCount(last.connections),
      last === undefined ? 'not measured' : `${formatDuration(last.afterMs)} after the load`,
      'verdict',
    ),
    card(
      'Allowed at rest',
      `≤ ${formatCount(result.baseline + result.restingLevel.allowedIdle)}`,
      `baseline + ${formatCount(result.restingLevel.allowedIdle)} idle${result.restingLevel.source === 'learned' ? ' (learned)' : ''}`,
    ),
    card('Requests', formatCount(result.totals.requests), `${formatCount(result.totals.ok)} ok in ${result.rounds.length} rounds`),
    card(
      'Disconnects',
      formatCount(result.totals.disconnects),
      `clients that left early (${formatPercent(ratio(result.totals.disconnects, result.totals.requests))})`,
    ),
    card('Errors', formatCount(result.totals.errors), refusedNote(result)),
    card('Database', result.database.kind, formatLimit(result.database)),
  ];
  return `<section class="facts" aria-label="Key numbers">${cards.join('')}</section>`;
}

/** Refusals the probe could see; "unknown" when 5xx answers did not say why. */
export function refusedNote(result: ProbeResult): string {
  const unknown = unexplainedServerErrors(result.totals);
  if (unknown > 0 && result.totals.refusals === 0) return `refused by the database: unknown (${formatCount(unknown)} 5xx did not say why)`;
  return `${formatCount(result.totals.refusals)} refused by the database${unknown > 0 ? `, ${formatCount(unknown)} 5xx unknown` : ''}`;
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

function card(label: string, value: string, note: string, tone?: 'verdict'): string {
  return `<div class="fact${tone === undefined ? '' : ' fact-verdict'}"><div class="fact-label">${h(label)}</div><div class="fact-value">${h(value)}</div><div class="fact-note">${h(note)}</div></div>`;
}

/** Baseline → peak → every settle point, each with its time and whether it is within the allowance. */
export function timelineSection(result: ProbeResult): string {
  const points = keyPoints(result);
  const allowed = result.baseline + result.restingLevel.allowedIdle;
  const rows = [
    row('Baseline', 'before the load', points.baseline.t, points.baseline.connections, ''),
    row(
      'Peak',
      points.peak.round === undefined ? 'under load' : `round ${points.peak.round + 1}`,
      points.peak.t,
      points.peak.connections,
      '',
    ),
    ...points.settle.map((point, index) => {
      const settledLater = points.settle.slice(index + 1).some((later) => later.connections <= allowed);
      return row(
        'Settle',
        `${formatDuration(point.afterMs)} after the load`,
        point.t,
        point.connections,
        settleStatus(point.connections, allowed, settledLater),
      );
    }),
  ];
  return `<section class="timeline"><h2>Baseline, peak and settle points</h2>
<table><thead><tr><th scope="col">Point</th><th scope="col">When</th><th scope="col" class="num">Time</th><th scope="col" class="num">Connections</th><th scope="col">Against ≤ ${h(formatCount(allowed))} at rest</th></tr></thead>
<tbody>${rows.join('')}</tbody></table></section>`;
}

function row(point: string, when: string, t: number, connections: number, status: string): string {
  return `<tr><th scope="row">${h(point)}</th><td>${h(when)}</td><td class="num">${h(formatSeconds(t))}</td><td class="num">${h(formatCount(connections))}</td><td>${status}</td></tr>`;
}

/** Above the allowance is only a problem if the count never came down: early points may still be settling. */
function settleStatus(connections: number, allowed: number, settledLater: boolean): string {
  if (connections <= allowed) return '<span class="ok">✔ within</span>';
  const above = formatCount(connections - allowed);
  return settledLater ? `<span class="settling">${h(above)} above, still settling</span>` : `<span class="bad">✖ ${h(above)} above</span>`;
}

/** One row per load round and a total, the same columns as the text report. */
export function roundsSection(result: ProbeResult): string {
  const head = ['Round', 'Time', 'Requests', 'OK', 'Errors', 'Disconnects', 'Refusals', 'Peak', 'Floor', 'p50', 'p99']
    .map((name, index) => `<th scope="col"${index > 1 ? ' class="num"' : ''}>${name}</th>`)
    .join('');
  const rows = result.rounds.map(roundRow).join('');
  const { totals } = result;
  const total = `<tr class="total"><th scope="row">Total</th><td></td>${[
    totals.requests,
    totals.ok,
    totals.errors,
    totals.disconnects,
    totals.refusals,
    result.peak,
  ]
    .map((n) => `<td class="num">${formatCount(n)}</td>`)
    .join('')}<td class="num">—</td><td class="num">—</td><td class="num">—</td></tr>`;
  return `<section class="rounds"><h2>Rounds</h2><div class="table-scroll"><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody><tfoot>${total}</tfoot></table></div>
<p class="note">Peak and floor are the database's own count: the highest during the round and the lowest in the pause after it. A floor that rises from round to round is a leak.</p>
<p class="note">Statuses: ${h(statusList(totals.statusCounts))}</p></section>`;
}

function roundRow(round: RoundSummary): string {
  const cells = [round.requests, round.ok, round.errors, round.disconnects, round.refusals, round.peak]
    .map((n, index) => `<td class="num${index === 4 && n > 0 ? ' bad' : ''}">${formatCount(n)}</td>`)
    .join('');
  const floor = round.floor === undefined ? '—' : formatCount(round.floor);
  return `<tr><th scope="row">${round.index + 1}</th><td>${h(formatSeconds(round.startedAt))} – ${h(formatSeconds(round.endedAt))}</td>${cells}<td class="num">${floor}</td><td class="num">${h(formatLatency(round.latencyMs.p50))}</td><td class="num">${h(formatLatency(round.latencyMs.p99))}</td></tr>`;
}

function statusList(counts: Readonly<Record<string, number>>): string {
  const items = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([status, count]) => `${status} × ${formatCount(count)}`);
  return items.length > 0 ? items.join(' · ') : 'none';
}

/** The configuration the run used, every URL and credential masked. */
export function configSection(result: ProbeResult): string {
  const items = configSummary(result.config)
    .map((item) => `<div><dt>${h(item.label)}</dt><dd>${h(item.value)}</dd></div>`)
    .join('');
  return `<section class="config"><h2>Configuration</h2><dl>${items}</dl></section>`;
}

/** Who made the report and when. */
export function footerSection(result: ProbeResult): string {
  return `<footer>${h(`${result.tool.name} ${result.tool.version}`)} · probe started ${h(result.startedAt)} · ran ${h(formatDuration(result.durationMs))} · ${h(formatCount(result.samples.length))} samples every ${h(formatDuration(result.config.sampleIntervalMs))} · schema v${h(String(result.schemaVersion))}</footer>`;
}
