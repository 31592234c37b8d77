import type { ProbeResult } from '../probe/probe-result.js';
import { renderChartSvg } from './chart-svg.js';
import { VERDICT_COLORS } from './chart/palette.js';
import { escapeHtml } from './escape-html.js';
import { configSection, factsSection, footerSection, roundsSection, timelineSection, verdictSection } from './html-sections.js';
import { sessionsSection } from './html-sessions.js';
import { REPORT_CSS } from './html-style.js';
import { samplesJson, TOOLTIP_SCRIPT } from './html-tooltip-script.js';
import { maskText } from '../secrets/mask-secrets.js';
import { VERDICT_LABELS } from './verdict-label.js';

/**
 * Nothing may be fetched: the report is opened from disk, attached to tickets and archived by CI,
 * so it has to be complete on its own, and a page that loads nothing cannot leak the URL it
 * describes to anyone.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/**
 * The probe's result as one self-contained HTML page: the verdict and its reasons, the key
 * numbers, the connection chart (inline SVG), the settle points, the rounds and the configuration.
 * Inline CSS, no external URL, a few lines of script for hover tooltips; it reads fully without.
 *
 * @example
 * writeFileSync('report.html', renderHtml(result));
 */
export function renderHtml(result: ProbeResult): string {
  const title = `leakproof probe: ${VERDICT_LABELS[result.verdict.kind].title.toLowerCase()} — ${maskText(result.config.url)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(`${result.tool.name} ${result.tool.version}`)}">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main style="--verdict:${VERDICT_COLORS[result.verdict.kind]}">
${verdictSection(result)}
${factsSection(result)}
${chartSection(result)}
${timelineSection(result)}
${sessionsSection(result)}
${roundsSection(result)}
${configSection(result)}
${footerSection(result)}
</main>
<script type="application/json" id="probe-samples">${samplesJson(result)}</script>
<script>${TOOLTIP_SCRIPT}</script>
</body>
</html>
`;
}

function chartSection(result: ProbeResult): string {
  return `<section class="chart"><h2>Database connections over time</h2>
<div class="chart-wrap">${renderChartSvg(result, { inline: true })}<div class="chart-tip" role="status" aria-live="polite"></div></div>
<p class="caption">The blue line is the database's own count of connections (left axis); the grey area is requests in flight (right axis). Under the line, where the database lists its sessions, they are split by what they did: running a statement (dark blue), idle (light blue) and stranded (red: idle, never used again while the app opened new ones). Shaded: load rounds (blue), pauses (white), settle phase (green). Ticks under the chart mark disconnects, errors and refusals.</p>
</section>`;
}
