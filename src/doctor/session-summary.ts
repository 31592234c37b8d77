import type { DoctorReport, ServerSession, SessionGroup } from './doctor-report.js';

/**
 * Groups sessions by user, host, database and state (largest group first) and counts the idle
 * ones, those idle longer than `thresholdMs`, and those idle inside a transaction.
 */
export function summarizeSessions(
  sessions: readonly ServerSession[],
  thresholdMs: number,
  transactionsVisible: boolean,
): DoctorReport['connections'] {
  const idle = sessions.filter((session) => session.idleMs !== undefined);
  const ages = idle.map((session) => session.idleMs!);
  return {
    listed: sessions.length,
    groups: groupSessions(sessions),
    idle: idle.length,
    idleOlderThanThreshold: ages.filter((age) => age > thresholdMs).length,
    oldestIdleMs: ages.length === 0 ? undefined : Math.max(...ages),
    idleInTransaction: transactionsVisible ? idle.filter((session) => session.inTransaction === true).length : undefined,
    sleepingOlderThanMs: thresholdMs,
  };
}

export function groupSessions(sessions: readonly ServerSession[]): SessionGroup[] {
  const groups = new Map<string, SessionGroup>();
  for (const session of sessions) {
    const key = JSON.stringify([session.user, session.host, session.database, session.state]);
    const group = groups.get(key);
    groups.set(key, {
      user: session.user,
      host: session.host,
      database: session.database,
      state: session.state,
      count: (group?.count ?? 0) + 1,
      oldestIdleMs: oldest(group?.oldestIdleMs, session.idleMs),
    });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.user.localeCompare(b.user) || a.state.localeCompare(b.state));
}

function oldest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}
