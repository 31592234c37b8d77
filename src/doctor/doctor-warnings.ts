/**
 * The doctor's findings, in plain sentences with the numbers and what to do about them.
 *
 * @module
 */
import type { DoctorReport, DoctorWarning, ServerSession, ServerSnapshot } from './doctor-report.js';
import { formatAge } from './format-age.js';

/** Share of the usable connections in use from which the doctor warns. */
const NEAR_LIMIT_RATIO = 0.8;
/**
 * A web request's transaction idle this long is already suspect, so this threshold is at most
 * a second whatever the idle threshold is.
 */
const IDLE_IN_TRANSACTION_MAX_THRESHOLD_MS = 1000;

type Findings = Pick<DoctorReport, 'connections' | 'headroom' | 'budget'>;

export function doctorWarnings(snapshot: ServerSnapshot, findings: Findings): DoctorWarning[] {
  return [
    idleTooLong(snapshot, findings),
    idleInTransaction(snapshot, findings),
    budgetOverLimit(snapshot, findings),
    nearLimit(findings),
    hiddenSessions(snapshot, findings),
    transactionsNotVisible(snapshot),
    clientsWaiting(snapshot),
  ].filter((warning): warning is DoctorWarning => warning !== undefined);
}

function idleTooLong(snapshot: ServerSnapshot, { connections }: Findings): DoctorWarning | undefined {
  const threshold = connections.sleepingOlderThanMs;
  const old = snapshot.sessions.filter((s) => s.idleMs !== undefined && s.idleMs > threshold);
  if (old.length === 0) return undefined;
  const oldest = old.reduce((a, b) => (b.idleMs! > a.idleMs! ? b : a));
  return {
    code: 'idle-too-long',
    level: 'warning',
    message:
      `${plural(old.length, 'connection')} idle for more than ${formatAge(threshold)} (oldest ${formatAge(oldest.idleMs!)}: ${who(oldest)}). ` +
      'A pool keeping more idle connections than it needs, or a leak: something took them and never gave them back. ' +
      serverReaping(snapshot),
  };
}

/** Who ends idle sessions if the app does not, and what to set. */
function serverReaping(snapshot: ServerSnapshot): string {
  const { waitTimeoutMs, idleSessionTimeoutMs } = snapshot.settings;
  const advice = 'Give the pool an idle timeout (leakproof: idleTimeout) well below';
  if (snapshot.product === 'PgBouncer') {
    const timeout = idleSessionTimeoutMs ?? 0;
    return `${timeout === 0 ? 'PgBouncer never closes them (client_idle_timeout is off)' : `PgBouncer closes them after client_idle_timeout = ${formatAge(timeout)}`}; each takes one of max_client_conn, not a server session. ${advice} the age you can afford.`;
  }
  if (waitTimeoutMs !== undefined) return `The server closes them only after wait_timeout = ${formatAge(waitTimeoutMs)}. ${advice} that.`;
  if (idleSessionTimeoutMs === undefined || idleSessionTimeoutMs === 0)
    return `The server never closes them (idle_session_timeout is off). ${advice} the age you can afford.`;
  return `The server closes them after idle_session_timeout = ${formatAge(idleSessionTimeoutMs)}. ${advice} that.`;
}

function idleInTransaction(snapshot: ServerSnapshot, { connections }: Findings): DoctorWarning | undefined {
  const threshold = Math.min(connections.sleepingOlderThanMs, IDLE_IN_TRANSACTION_MAX_THRESHOLD_MS);
  const stuck = snapshot.sessions.filter((s) => s.inTransaction === true && s.idleMs !== undefined && s.idleMs > threshold);
  if (stuck.length === 0) return undefined;
  const oldest = stuck.reduce((a, b) => (b.idleMs! > a.idleMs! ? b : a));
  const timeout = snapshot.settings.idleInTransactionSessionTimeoutMs;
  const fix =
    timeout === undefined
      ? 'The server keeps them until wait_timeout.'
      : timeout === 0
        ? 'idle_in_transaction_session_timeout is off; set it (e.g. 60s) and the server ends such sessions itself.'
        : `The server ends them after idle_in_transaction_session_timeout = ${formatAge(timeout)}.`;
  return {
    code: 'idle-in-transaction',
    level: 'warning',
    message:
      `${plural(stuck.length, 'session')} idle inside an open transaction (oldest ${formatAge(oldest.idleMs!)}: ${who(oldest)}). ` +
      'Each holds its locks and a connection until someone commits or rolls back: the mark of a request that ended ' +
      `without finishing its transaction. ${fix}`,
  };
}

/** The Django/1040 story: every process's pool fits alone, together they pass the server's limit. */
function budgetOverLimit(snapshot: ServerSnapshot, { budget, headroom }: Findings): DoctorWarning | undefined {
  if (budget === undefined || budget.fits) return undefined;
  const perProcess = Math.floor(headroom.usable / budget.processes);
  const refusal = snapshot.product === 'PostgreSQL' ? 'error 53300 "too many clients already"' : 'error 1040 "Too many connections"';
  return {
    code: 'budget-over-limit',
    level: 'warning',
    message:
      `${budget.processes} processes × ${budget.perProcess} connections = ${budget.total}, more than the ${headroom.usable} this server ` +
      `allows${reserveNote(snapshot)}. Under full load the server refuses new connections (${refusal}) and requests fail. ` +
      `${perProcess > 0 ? `Give each process at most ${perProcess} (leakproof: maxConnections), raise` : 'Raise'} max_connections, ` +
      `or put a pooler in front (${snapshot.product === 'PostgreSQL' ? 'PgBouncer' : 'ProxySQL, MaxScale'}).`,
  };
}

function reserveNote(snapshot: ServerSnapshot): string {
  const { maxConnections, reservedConnections } = snapshot.settings;
  return reservedConnections > 0
    ? ` (max_connections ${maxConnections}, ${reservedConnections} reserved for superusers)`
    : ` (max_connections)`;
}

function nearLimit({ headroom }: Findings): DoctorWarning | undefined {
  if (headroom.usable <= 0 || headroom.current < headroom.usable * NEAR_LIMIT_RATIO) return undefined;
  const percent = Math.round((headroom.current / headroom.usable) * 100);
  return {
    code: 'near-limit',
    level: 'warning',
    message:
      `${headroom.current} of the ${headroom.usable} usable connections are open (${percent} %); ${Math.max(0, headroom.available)} left ` +
      'before the server starts refusing.',
  };
}

function hiddenSessions(snapshot: ServerSnapshot, { connections, headroom }: Findings): DoctorWarning | undefined {
  if (snapshot.product === 'PostgreSQL') {
    const hidden = snapshot.sessions.filter((s) => s.state === 'hidden').length;
    if (hidden === 0) return undefined;
    return {
      code: 'hidden-sessions',
      level: 'note',
      message: `${plural(hidden, 'session')} of other roles show without state, host or age; grant pg_read_all_stats (or connect as a superuser) to see them.`,
    };
  }
  const unseen = headroom.current - connections.listed;
  if (unseen <= 0) return undefined;
  return {
    code: 'hidden-sessions',
    level: 'note',
    message: `${unseen} of the server's ${plural(headroom.current, 'connection')} belong to users this login cannot list; connect as a user with the PROCESS privilege to see them.`,
  };
}

function transactionsNotVisible(snapshot: ServerSnapshot): DoctorWarning | undefined {
  if (snapshot.transactionsVisible) return undefined;
  return {
    code: 'transactions-not-visible',
    level: 'note',
    message:
      'Open transactions are listed in information_schema.INNODB_TRX, which needs the PROCESS privilege; without it, sessions idle in a transaction show as plain idle.',
  };
}

/** PgBouncer: clients queue for a server session when the pool is too small for the transactions. */
function clientsWaiting(snapshot: ServerSnapshot): DoctorWarning | undefined {
  const queued = (snapshot.pools ?? []).filter((pool) => pool.clientsWaiting > 0);
  if (queued.length === 0) return undefined;
  const worst = queued.reduce((a, b) => (b.maxWaitMs > a.maxWaitMs ? b : a));
  const waiting = queued.reduce((sum, pool) => sum + pool.clientsWaiting, 0);
  return {
    code: 'clients-waiting',
    level: 'warning',
    message:
      `${plural(waiting, 'client')} of PgBouncer ${waiting === 1 ? 'waits' : 'wait'} for a server session (longest ${formatAge(worst.maxWaitMs)}, pool ${worst.user}@${worst.database} of ${worst.poolSize}, ${worst.serversActive} in use). ` +
      "Transactions hold the sessions longer than the load allows: shorten them (a transaction left open holds one until it ends), or raise pool_size within the server's max_connections.",
  };
}

function who(session: ServerSession): string {
  return `user ${session.user || '?'} from ${session.host || '?'}${session.database === '' ? '' : ` on ${session.database}`}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
