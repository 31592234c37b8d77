/**
 * The verdict rules on hand-built measurements: `decideVerdict` is a pure function, so every
 * rule and every precedence can be pinned without a server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capacityMargin, decideVerdict, type VerdictInput } from '../src/probe/verdict.js';

/** A clean run: baseline 0, three rounds back to 0 in the pauses, settled at 0. */
type Changes = Partial<Omit<VerdictInput, 'config'>> & { config?: Partial<VerdictInput['config']> };

function input(changes: Changes = {}): VerdictInput {
  const { config, ...rest } = changes;
  return {
    baseline: 0,
    peak: 10,
    rounds: [
      { floor: 0, refusals: 0 },
      { floor: 0, refusals: 0 },
      { floor: undefined, refusals: 0 },
    ],
    settle: [
      { afterMs: 500, connections: 0 },
      { afterMs: 2000, connections: 0 },
      { afterMs: 10_000, connections: 0 },
    ],
    serverMaxConnections: 151,
    complete: true,
    ...rest,
    config: { allowedIdle: 0, maxConnections: undefined, settlePointsMs: [500, 2000, 10_000], ...config },
  };
}

const floors = (...values: (number | undefined)[]): VerdictInput['rounds'] => values.map((floor) => ({ floor, refusals: 0 }));

describe('verdict: leak', () => {
  it('no-leak when the count settles back to the baseline', () => {
    const verdict = decideVerdict(input());
    assert.equal(verdict.kind, 'no-leak');
    assert.equal(verdict.exitCode, 0);
    assert.match(verdict.reasons.join(' '), /settled to 0 connections 10000 ms after the load/);
  });

  it('leak when the last settle point is above baseline + allowedIdle, with the numbers in the reason', () => {
    const verdict = decideVerdict(
      input({
        baseline: 2,
        settle: [
          { afterMs: 500, connections: 40 },
          { afterMs: 10_000, connections: 37 },
        ],
        config: { allowedIdle: 5 },
      }),
    );
    assert.equal(verdict.kind, 'leak');
    assert.equal(verdict.exitCode, 1);
    assert.match(verdict.reasons[0]!, /37 connections were still open 10000 ms after/);
    assert.match(verdict.reasons[0]!, /40 at 500 ms, 37 at 10000 ms/);
    assert.match(verdict.reasons[0]!, /baseline of 2 plus 5 allowed idle \(7\)/);
  });

  it('no leak when the count is exactly baseline + allowedIdle (a full idle pool)', () => {
    const verdict = decideVerdict(input({ baseline: 1, settle: [{ afterMs: 10_000, connections: 11 }], config: { allowedIdle: 10 } }));
    assert.equal(verdict.kind, 'no-leak');
  });

  it('judges by the LAST settle point: a high count right after the load is not a leak', () => {
    const verdict = decideVerdict(
      input({
        settle: [
          { afterMs: 500, connections: 85 },
          { afterMs: 2000, connections: 3 },
          { afterMs: 10_000, connections: 0 },
        ],
      }),
    );
    assert.equal(verdict.kind, 'no-leak');
  });

  it('leak when the floor rises strictly after every round and ends above the limit, even if it settles later (a sawtooth)', () => {
    const verdict = decideVerdict(input({ rounds: floors(12, 25, undefined), settle: [{ afterMs: 10_000, connections: 0 }] }));
    assert.equal(verdict.kind, 'leak');
    assert.match(verdict.reasons[0]!, /baseline 0 → 12 → 25/);
  });

  it('no leak from floors that rise but stay within baseline + allowedIdle (a pool warming up)', () => {
    const verdict = decideVerdict(
      input({ rounds: floors(4, 8, undefined), settle: [{ afterMs: 10_000, connections: 8 }], config: { allowedIdle: 10 } }),
    );
    assert.equal(verdict.kind, 'no-leak');
  });

  it('no leak from floors that stop rising', () => {
    assert.equal(decideVerdict(input({ rounds: floors(5, 5, undefined), settle: [{ afterMs: 10_000, connections: 0 }] })).kind, 'no-leak');
    assert.equal(
      decideVerdict(input({ rounds: floors(5, 9, 7, undefined), settle: [{ afterMs: 10_000, connections: 0 }] })).kind,
      'no-leak',
    );
  });

  it('needs at least three floor points (baseline and two pauses) for the rising-floor rule', () => {
    const verdict = decideVerdict(input({ rounds: floors(9, undefined), settle: [{ afterMs: 10_000, connections: 0 }] }));
    assert.equal(verdict.kind, 'no-leak');
  });
});

describe('verdict: over-budget', () => {
  it('over-budget when the peak exceeds maxConnections', () => {
    const verdict = decideVerdict(input({ peak: 12, config: { maxConnections: 10 } }));
    assert.equal(verdict.kind, 'over-budget');
    assert.equal(verdict.exitCode, 1);
    assert.match(verdict.reasons[0]!, /up to 12 connections, more than the budget of 10/);
  });

  it('a peak equal to the budget is within it', () => {
    assert.equal(decideVerdict(input({ peak: 10, config: { maxConnections: 10 } })).kind, 'no-leak');
  });

  it('a leak outranks over-budget, and the reasons still name both', () => {
    const verdict = decideVerdict(input({ peak: 50, settle: [{ afterMs: 10_000, connections: 30 }], config: { maxConnections: 20 } }));
    assert.equal(verdict.kind, 'leak');
    assert.ok(
      verdict.reasons.some((reason) => /^Also: .*budget of 20/.test(reason)),
      verdict.reasons.join('\n'),
    );
  });
});

describe('verdict: capacity', () => {
  it('capacity (exit 0) when the database refused connections but the count settled', () => {
    const verdict = decideVerdict(
      input({
        rounds: [
          { floor: 0, refusals: 7 },
          { floor: 0, refusals: 3 },
          { floor: undefined, refusals: 0 },
        ],
      }),
    );
    assert.equal(verdict.kind, 'capacity');
    assert.equal(verdict.exitCode, 0);
    assert.match(verdict.reasons[0]!, /10 requests were refused/);
    assert.match(verdict.reasons.at(-1)!, /sizing problem, not a leak/);
  });

  it('capacity when the peak reaches max_connections less the margin, without refusals', () => {
    const max = 151;
    const atLimit = max - capacityMargin(max);
    assert.equal(decideVerdict(input({ peak: atLimit })).kind, 'capacity');
    assert.equal(decideVerdict(input({ peak: atLimit - 1 })).kind, 'no-leak');
  });

  it("the margin covers the sampler's own connection even on a tiny server", () => {
    assert.equal(capacityMargin(10), 2);
    assert.equal(decideVerdict(input({ peak: 8, serverMaxConnections: 10 })).kind, 'capacity');
  });

  it('a leak outranks capacity: refusals while the count stays up are a leak', () => {
    const verdict = decideVerdict(
      input({
        rounds: [
          { floor: 50, refusals: 20 },
          { floor: 100, refusals: 40 },
          { floor: undefined, refusals: 60 },
        ],
        settle: [{ afterMs: 10_000, connections: 148 }],
      }),
    );
    assert.equal(verdict.kind, 'leak');
    assert.ok(verdict.reasons.some((reason) => reason.startsWith('Also: 120 requests were refused')));
  });

  it('no capacity rule without a known server limit and without refusals', () => {
    assert.equal(decideVerdict(input({ peak: 1000, serverMaxConnections: undefined })).kind, 'no-leak');
  });
});

describe('verdict: incomplete runs', () => {
  it('says so when the run was stopped early', () => {
    const verdict = decideVerdict(input({ complete: false }));
    assert.match(verdict.reasons.at(-1)!, /stopped early/);
  });

  it('without any settle point, no-leak says the settled count is unknown', () => {
    const verdict = decideVerdict(input({ settle: [], complete: false }));
    assert.equal(verdict.kind, 'no-leak');
    assert.match(verdict.reasons[0]!, /settled count is unknown/);
  });
});

describe('verdict: from what the sessions did', () => {
  const named = { id: 42, user: 'app', host: '127.0.0.1:51234', database: 'app', idleSinceRound: 1, idleSinceMs: 3400, idleForMs: 9800 };
  const sessions = (changes: Partial<NonNullable<VerdictInput['sessions']>> = {}): NonNullable<VerdictInput['sessions']> => ({
    stranded: [],
    strandedTotal: 0,
    idleInTransaction: [],
    learnedRestingLevel: 10,
    touched: 10,
    transactionsVisible: true,
    ...changes,
  });

  it('a pool of 10 idle at rest is no leak with the learned level, though the count is 10 above the baseline', () => {
    const verdict = decideVerdict(
      input({ sessions: sessions(), settle: [{ afterMs: 10_000, connections: 10 }], config: { allowedIdle: 'learned' } }),
    );
    assert.equal(verdict.kind, 'no-leak', verdict.reasons.join('\n'));
    assert.match(verdict.reasons.join(' '), /10 idle \(the resting level learned from the run\)/);
  });

  it('a stranded session is a leak whatever the count, named with its id, user, host and round', () => {
    const verdict = decideVerdict(
      input({ sessions: sessions({ stranded: [named], strandedTotal: 1 }), config: { allowedIdle: 'learned' } }),
    );
    assert.equal(verdict.kind, 'leak');
    assert.match(verdict.reasons[0]!, /1 sessions were stranded/);
    assert.match(verdict.reasons[0]!, /id 42 \(app@127\.0\.0\.1:51234\) idle since round 2, for 9\.8 s/);
  });

  it('stranded sessions that closed later are still a leak, and the reason says so', () => {
    const verdict = decideVerdict(
      input({ sessions: sessions({ stranded: [{ ...named, closedAtMs: 9000 }], strandedTotal: 1 }), config: { allowedIdle: 'learned' } }),
    );
    assert.equal(verdict.kind, 'leak');
    assert.match(verdict.reasons[0]!, /closed later without being used again/);
  });

  it('a session idle in a transaction at rest is a leak', () => {
    const verdict = decideVerdict(input({ sessions: sessions({ idleInTransaction: [named] }), config: { allowedIdle: 'learned' } }));
    assert.equal(verdict.kind, 'leak');
    assert.match(verdict.reasons[0]!, /idle inside a transaction/);
  });

  it('a leak outranks capacity: refusals with stranded sessions are a leak', () => {
    const verdict = decideVerdict(
      input({
        rounds: [{ floor: 0, refusals: 12 }],
        sessions: sessions({ stranded: [named], strandedTotal: 1 }),
        config: { allowedIdle: 'learned' },
      }),
    );
    assert.equal(verdict.kind, 'leak');
    assert.ok(verdict.reasons.some((reason) => /^Also: 12 requests were refused/.test(reason)));
  });

  it('inconclusive, exit 2, when no answer was 2xx/3xx or no session was touched; unless that is expected', () => {
    const allErrors = decideVerdict(
      input({ rounds: [{ floor: undefined, refusals: 0, ok: 0 }], sessions: sessions(), config: { allowedIdle: 'learned' } }),
    );
    assert.equal(allErrors.kind, 'inconclusive');
    assert.equal(allErrors.exitCode, 2);
    assert.match(allErrors.reasons[0]!, /No request got a 2xx or 3xx answer/);
    const untouched = decideVerdict(input({ sessions: sessions({ touched: 0 }), config: { allowedIdle: 'learned' } }));
    assert.equal(untouched.kind, 'inconclusive');
    assert.match(untouched.reasons[0]!, /never moved the database/);
    assert.equal(
      decideVerdict(input({ sessions: sessions({ touched: 0 }), config: { allowedIdle: 'learned', acceptNoEffect: true } })).kind,
      'no-leak',
    );
    // Every request cut off on purpose: no answer came back, so none says the URL is wrong.
    const allCut = decideVerdict(
      input({
        rounds: [{ floor: undefined, refusals: 0, ok: 0, requests: 8, disconnects: 8 }],
        sessions: sessions(),
        config: { allowedIdle: 'learned' },
      }),
    );
    assert.equal(allCut.kind, 'no-leak', allCut.reasons.join('\n'));
  });

  it('a number for allowedIdle overrides the learned level and adds the count rules', () => {
    const verdict = decideVerdict(
      input({ sessions: sessions(), settle: [{ afterMs: 10_000, connections: 10 }], config: { allowedIdle: 5 } }),
    );
    assert.equal(verdict.kind, 'leak');
    assert.match(verdict.reasons[0]!, /plus 5 allowed idle \(5\)/);
  });

  it('a count-only source learns the level from the lowest floor between rounds', () => {
    const pool = decideVerdict(
      input({ rounds: floors(10, 10, undefined), settle: [{ afterMs: 10_000, connections: 10 }], config: { allowedIdle: 'learned' } }),
    );
    assert.equal(pool.kind, 'no-leak', pool.reasons.join('\n'));
    const leak = decideVerdict(
      input({ rounds: floors(10, 20, undefined), settle: [{ afterMs: 10_000, connections: 30 }], config: { allowedIdle: 'learned' } }),
    );
    assert.equal(leak.kind, 'leak');
  });
});
