/**
 * What each session did, from hand-built readings: a pool's sessions are reused, a per-request
 * connection is opened and closed, a leaked one is stranded only with the evidence (idle at rest
 * after its last statement, never used again, a new session opened meanwhile), a pool's spare
 * that nothing replaced is kept idle, a session idle in a transaction at rest is named as such.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionRow, SessionState } from '../src/drivers/server-session.js';
import { classifySessions, type RoundSpan } from '../src/probe/sessions/classify-sessions.js';
import { SessionTracker } from '../src/probe/sessions/session-tracker.js';

/** Round 0 runs 0–1000 ms, round 1 2000–3000 ms; readings at rest from 1250 ms and 3250 ms. */
const ROUNDS: RoundSpan[] = [
  { index: 0, startedAt: 0, endedAt: 1000 },
  { index: 1, startedAt: 2000, endedAt: 3000 },
];

function row(key: string, state: SessionState, lastActiveAt: number): SessionRow {
  return {
    id: Number(key),
    key,
    user: 'app',
    host: `127.0.0.1:${50_000 + Number(key)}`,
    database: 'app',
    state,
    rawState: state,
    waitingFor: null,
    statement: null,
    inTransaction: state === 'idle in transaction',
    idleMs: undefined,
    lastActiveAt,
    openedAt: undefined,
    transactionStartedAt: undefined,
  };
}

/** Feeds readings `{ t: { key: [state, lastActiveAt] } }` with the server clock equal to the run's. */
function track(readings: Record<number, Record<string, [SessionState, number]>>): ReturnType<typeof classifySessions> {
  const tracker = new SessionTracker();
  for (const [time, sessions] of Object.entries(readings)) {
    const t = Number(time);
    const inLoad = ROUNDS.some((round) => t >= round.startedAt && t <= round.endedAt);
    tracker.observe(
      {
        t,
        inFlight: inLoad ? 5 : 0,
        atRest: !inLoad && t > 0 && (t >= 3250 || (t >= 1250 && t < 2000)),
        round: t < 2000 ? 0 : 1,
        baseline: t < 0,
      },
      {
        sessions: Object.entries(sessions).map(([key, [state, at]]) => row(key, state, at)),
        serverNow: t,
        transactionsVisible: true,
        idleResolutionMs: 1,
      },
    );
  }
  return classifySessions(tracker.timelines(), ROUNDS);
}

describe('session classes', () => {
  it('a pool: reused; a per-request connection: opened and closed', () => {
    const { classOf } = track({
      100: { 1: ['active', 100], 2: ['active', 100] },
      500: { 1: ['idle', 450], 2: ['active', 500] },
      900: { 1: ['active', 900] },
      1300: { 1: ['idle', 990] },
      2500: { 1: ['active', 2500], 3: ['active', 2500] },
      3300: { 1: ['idle', 2990] },
    });
    assert.equal(classOf.get('1'), 'reused');
    assert.equal(classOf.get('2'), 'opened-and-closed');
    assert.equal(classOf.get('3'), 'opened-and-closed');
  });

  it('stranded: idle at rest after its last statement, never used again, while new sessions opened', () => {
    const { classOf, stranded } = track({
      100: { 1: ['active', 100] },
      600: { 1: ['idle', 550] },
      1300: { 1: ['idle', 550] },
      2500: { 1: ['idle', 550], 2: ['active', 2500] },
      3300: { 1: ['idle', 550], 2: ['idle', 2990] },
    });
    assert.equal(classOf.get('1'), 'stranded');
    assert.deepEqual(
      stranded.map((session) => [session.id, session.idleSinceRound, session.idleSinceMs]),
      [[1, 0, 550]],
    );
  });

  it('kept idle, not stranded: a spare nothing replaced (no session opened after it went idle)', () => {
    const { classOf } = track({
      100: { 1: ['active', 100], 2: ['active', 100] },
      600: { 1: ['idle', 550], 2: ['active', 600] },
      1300: { 1: ['idle', 550], 2: ['idle', 990] },
      2500: { 1: ['idle', 550], 2: ['active', 2500] },
      3300: { 1: ['idle', 550], 2: ['idle', 2990] },
    });
    assert.equal(classOf.get('1'), 'kept-idle');
    assert.equal(classOf.get('2'), 'reused');
  });

  it('stranded though it closed later (a collector), and idle in a transaction at rest', () => {
    const { classOf, idleInTransaction } = track({
      100: { 1: ['active', 100], 4: ['active', 100] },
      1300: { 1: ['idle', 550], 4: ['idle in transaction', 600] },
      2500: { 1: ['idle', 550], 2: ['active', 2500], 4: ['idle in transaction', 600] },
      3300: { 2: ['idle', 2990], 4: ['idle in transaction', 600] },
    });
    assert.equal(classOf.get('1'), 'stranded');
    assert.equal(classOf.get('4'), 'idle-in-transaction');
    assert.deepEqual(
      idleInTransaction.map((session) => session.id),
      [4],
    );
  });
});
