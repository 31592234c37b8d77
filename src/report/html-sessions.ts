/**
 * The HTML report's sessions section: what the sessions did, and a table naming each stranded
 * (or idle-in-transaction) session: id, user, host, idle since which round, for how long.
 *
 * @module
 */
import type { NamedSession, ProbeResult } from '../probe/probe-result.js';
import { escapeHtml as h } from './escape-html.js';
import { formatCount, formatDuration } from './format.js';
import { sessionClassItems, shapeItems } from './session-lines.js';

/** Rows in the table; the rest are counted (all are in the JSON). */
const TABLE_ROWS = 50;

export function sessionsSection(result: ProbeResult): string {
  const warnings = result.warnings.map((warning) => `<li>${h(warning)}</li>`).join('');
  return `<section class="sessions"><h2>Sessions</h2>
<p class="note">What each database session did: ${h(sessionClassItems(result).join(' · '))}.</p>
${namedTable(result)}
${result.shapes.length > 0 ? `<p class="note">Disconnect shapes: ${h(shapeItems(result).join(' · '))}.</p>` : ''}
${warnings === '' ? '' : `<ul class="warnings">${warnings}</ul>`}</section>`;
}

function namedTable(result: ProbeResult): string {
  const sessions = result.sessions;
  if (sessions === undefined) return '';
  const named = [
    ...sessions.stranded.map((session) => ['stranded', session] as const),
    ...sessions.idleInTransaction.map((session) => ['idle in transaction', session] as const),
  ];
  if (named.length === 0) return '<p class="note">No session was stranded or left idle in a transaction.</p>';
  const head = ['What', 'Id', 'User', 'Host', 'Database', 'Idle since', 'Idle for', 'Closed']
    .map((name) => `<th scope="col">${name}</th>`)
    .join('');
  const rows = named
    .slice(0, TABLE_ROWS)
    .map(([kind, session]) => sessionRow(kind, session))
    .join('');
  const more =
    named.length > TABLE_ROWS ? `<p class="note">… and ${formatCount(named.length - TABLE_ROWS)} more in the JSON result.</p>` : '';
  return `<div class="table-scroll"><table class="stranded"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>${more}`;
}

function sessionRow(kind: string, session: NamedSession): string {
  const cells = [
    kind,
    String(session.id),
    session.user,
    session.host,
    session.database ?? '—',
    `round ${session.idleSinceRound + 1} (${(session.idleSinceMs / 1000).toFixed(1)} s)`,
    formatDuration(session.idleForMs),
    session.closedAtMs === undefined ? 'still open' : `${(session.closedAtMs / 1000).toFixed(1)} s`,
  ];
  return `<tr>${cells.map((cell) => `<td>${h(cell)}</td>`).join('')}</tr>`;
}
