/**
 * The doctor's report for a terminal: limits, the sessions grouped, then the warnings.
 *
 * @module
 */
import type { DoctorReport, DoctorWarning, SessionGroup } from '../doctor/doctor-report.js';
import { formatAge } from '../doctor/format-age.js';

const WIDTH = 100;

interface Style {
  bold(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
}

/**
 * @example
 * process.stdout.write(renderDoctor(await runDoctor({ db }), { color: process.stdout.isTTY }));
 */
export function renderDoctor(report: DoctorReport, options: { color: boolean }): string {
  const style = createStyle(options.color);
  const sections = [
    [`${style.bold('leakproof doctor')}  ${report.product} ${report.version}  ${report.db}`],
    [style.bold('Limits'), ...columns(limitRows(report))],
    [
      style.bold(`${report.product === 'PgBouncer' ? 'Clients' : 'Sessions'} now: ${report.connections.listed} listed`) +
        style.dim(" (the doctor's own excluded)"),
      ...sessionLines(report),
    ],
    ...(report.pools === undefined ? [] : [[style.bold('Pools'), ...poolLines(report.pools)]]),
    warningLines(report.warnings, style),
  ];
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function limitRows(report: DoctorReport): [string, string][] {
  const { settings, headroom, budget } = report;
  const reserve =
    settings.reservedConnections > 0
      ? `, ${settings.reservedConnections} reserved for superusers: ${headroom.usable} usable`
      : settings.extraSuperuserConnections > 0
        ? ` (+${settings.extraSuperuserConnections} kept for SUPER / CONNECTION ADMIN)`
        : '';
  const pooler = report.product === 'PgBouncer';
  const rows: [string, string][] = [
    [pooler ? 'max_client_conn' : 'max_connections', `${settings.maxConnections}${reserve}`],
    [
      'open now',
      `${headroom.current} ${pooler ? 'clients of PgBouncer' : 'on the whole server'}${headroom.maxUsed === undefined ? '' : ` (most since start: ${headroom.maxUsed})`}`,
    ],
    ['headroom', `${headroom.available} more before ${pooler ? 'PgBouncer' : 'the server'} refuses`],
    ...timeoutRows(report),
  ];
  if (budget !== undefined) {
    rows.push([
      'processes × budget',
      `${budget.processes} × ${budget.perProcess} = ${budget.total}: ${budget.fits ? 'fits' : `does NOT fit in ${headroom.usable}`}`,
    ]);
  }
  return rows;
}

function timeoutRows(report: DoctorReport): [string, string][] {
  const { settings } = report;
  const off = (ms: number | undefined): string => (ms === undefined ? 'n/a' : ms === 0 ? 'off' : formatAge(ms));
  if (settings.waitTimeoutMs !== undefined)
    return [['wait_timeout', `${formatAge(settings.waitTimeoutMs)}: the server closes sessions idle this long`]];
  if (report.product === 'PgBouncer') return [['client_idle_timeout', off(settings.idleSessionTimeoutMs)]];
  return [
    [
      'idle timeouts',
      `idle_session_timeout ${off(settings.idleSessionTimeoutMs)}, ` +
        `idle_in_transaction_session_timeout ${off(settings.idleInTransactionSessionTimeoutMs)}`,
    ],
  ];
}

function sessionLines({ connections }: DoctorReport): string[] {
  if (connections.groups.length === 0) return ['  none'];
  const header = ['USER', 'HOST', 'DATABASE', 'STATE', 'COUNT', 'OLDEST IDLE'];
  const rows = connections.groups.map((group: SessionGroup) => [
    group.user,
    group.host,
    group.database || '-',
    group.state,
    String(group.count),
    group.oldestIdleMs === undefined ? '-' : formatAge(group.oldestIdleMs),
  ]);
  const inTx = connections.idleInTransaction === undefined ? '' : `, ${connections.idleInTransaction} idle in a transaction`;
  const oldest = connections.oldestIdleMs === undefined ? '' : `, oldest ${formatAge(connections.oldestIdleMs)}`;
  return [
    ...grid([header, ...rows], new Set([4])),
    `  ${connections.idle} idle, ${connections.idleOlderThanThreshold} idle longer than ${formatAge(connections.sleepingOlderThanMs)}${oldest}${inTx}`,
  ];
}

function poolLines(pools: NonNullable<DoctorReport['pools']>): string[] {
  if (pools.length === 0) return ['  none'];
  const header = ['DATABASE', 'USER', 'MODE', 'POOL SIZE', 'SERVERS IN USE', 'SERVERS FREE', 'CLIENTS', 'WAITING', 'LONGEST WAIT'];
  const rows = pools.map((pool) => [
    pool.database,
    pool.user,
    pool.mode,
    String(pool.poolSize),
    String(pool.serversActive),
    String(pool.serversIdle),
    String(pool.clientsActive),
    String(pool.clientsWaiting),
    pool.maxWaitMs === 0 ? '-' : formatAge(pool.maxWaitMs),
  ]);
  return grid([header, ...rows], new Set([3, 4, 5, 6, 7]));
}

function warningLines(warnings: readonly DoctorWarning[], style: Style): string[] {
  if (warnings.length === 0) return ['No warnings: nothing idle too long, nothing stuck in a transaction, limits fit.'];
  const count = warnings.filter((w) => w.level === 'warning').length;
  return [
    style.bold(`Warnings: ${count}`),
    ...warnings.flatMap((w) =>
      wrap(w.message, WIDTH - 4).map((line, i) => {
        const text = `  ${i === 0 ? (w.level === 'warning' ? '!' : 'i') : ' '} ${line}`;
        return w.level === 'warning' ? style.warn(text) : style.dim(text);
      }),
    ),
  ];
}

function columns(rows: readonly [string, string][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`);
}

/** Rows padded into columns; the columns in `right` aligned right. */
function grid(rows: readonly string[][], right: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map(
    (row) =>
      `  ${row
        .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()}`,
  );
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return line === '' ? lines : [...lines, line];
}

function createStyle(color: boolean): Style {
  const sgr = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: sgr('1'), warn: sgr('33'), dim: sgr('2') };
}
