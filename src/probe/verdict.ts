/**
 * The verdict: a pure function of what the probe measured. Rules, strongest first:
 *
 * 1. `leak`: a session was stranded (see `classify-sessions.ts`) or left idle in a transaction;
 *    or, judging by counts (a source that only counts, or `allowedIdle` given as an override),
 *    the count at the last settle point is above `baseline + allowed`, or the floor (the lowest
 *    count in each pause, starting from the baseline) rose strictly over at least 3 points and
 *    ended above it.
 * 2. `over-budget`: the peak count exceeded `maxConnections` (when given).
 * 3. `inconclusive` (exit 2): no request got a 2xx/3xx answer, or the load touched no session
 *    on the database the probe watches: nothing was tested (unless `acceptNoEffect`).
 * 4. `capacity`: the database refused connections, or the peak reached its `max_connections`
 *    (less a margin for the sampler's own connection and 2 %): a sizing problem, not a leak.
 * 5. `no-leak`: none of the above.
 *
 * A leak outranks over-budget because it is the cause to fix first; every rule that holds is
 * still named in the reasons.
 *
 * @module
 */
import type { Verdict, VerdictKind } from './probe-result.js';
import { sessionFindings } from './session-verdict.js';
import type { Finding, VerdictInput } from './verdict-input.js';

export type { Finding, VerdictInput } from './verdict-input.js';

const ORDER: readonly VerdictKind[] = ['leak', 'over-budget', 'inconclusive', 'capacity'];
const EXIT_CODES: Readonly<Record<VerdictKind, 0 | 1 | 2>> = { leak: 1, 'over-budget': 1, inconclusive: 2, capacity: 0, 'no-leak': 0 };

/**
 * @example
 * decideVerdict({ baseline: 0, peak: 40, rounds: [{ floor: 12, refusals: 0 }, { floor: 25, refusals: 0 }, { floor: undefined, refusals: 0 }],
 *   settle: [{ afterMs: 10000, connections: 37 }], config: { allowedIdle: 0, maxConnections: undefined, settlePointsMs: [10000] },
 *   serverMaxConnections: 151, complete: true }).kind // 'leak'
 */
export function decideVerdict(input: VerdictInput): Verdict {
  const counted = countsJudge(input) ? [...settleLeak(input), ...risingFloor(input)] : [];
  const findings = [...sessionFindings(input), ...counted, ...overBudget(input), ...noEffect(input), ...capacity(input)];
  const kind = ORDER.find((candidate) => findings.some((finding) => finding.kind === candidate)) ?? 'no-leak';
  const main = findings.filter((finding) => finding.kind === kind).map((finding) => finding.reason);
  const also = findings.filter((finding) => finding.kind !== kind).map((finding) => `Also: ${lowerFirst(finding.reason)}`);
  const reasons = kind === 'no-leak' ? noLeakReasons(input) : [...main, ...also, ...(kind === 'capacity' ? [settledNote(input)] : [])];
  if (!input.complete) reasons.push('The run was stopped early, so this verdict rests on fewer measurements than planned.');
  return { kind, exitCode: EXIT_CODES[kind], reasons };
}

/** Counts decide when the source only counts, or when the user set the idle allowance. */
function countsJudge(input: VerdictInput): boolean {
  return input.sessions === undefined || input.config.allowedIdle !== 'learned';
}

/** The idle connections allowed at rest: the override, or the level learned from the run. */
export function allowedIdleOf(input: Pick<VerdictInput, 'baseline' | 'config' | 'sessions' | 'rounds'>): number {
  if (input.config.allowedIdle !== 'learned') return input.config.allowedIdle;
  if (input.sessions !== undefined) return input.sessions.learnedRestingLevel;
  // A count-only source: the lowest count at rest between rounds is the pool's own level.
  const floors = input.rounds.flatMap((round) => (round.floor === undefined ? [] : [round.floor]));
  return floors.length === 0 ? 0 : Math.max(0, Math.min(...floors) - input.baseline);
}

/** The most connections that may stay open at rest without it being a leak. */
export function restLimit(input: Pick<VerdictInput, 'baseline' | 'config' | 'rounds' | 'sessions'>): number {
  return input.baseline + allowedIdleOf(input);
}

function allowedText(input: VerdictInput): string {
  return input.config.allowedIdle === 'learned'
    ? `${allowedIdleOf(input)} idle (the resting level learned from the run)`
    : `${input.config.allowedIdle} allowed idle`;
}

/** A load that reached nothing tested nothing: every answer an error, or no session touched. */
function noEffect(input: VerdictInput): Finding[] {
  if (input.config.acceptNoEffect === true) return [];
  const findings: Finding[] = [];
  const ok = input.rounds.reduce((sum, round) => sum + (round.ok ?? 1), 0);
  // Requests the probe cut off on purpose got no answer: only answered ones can say the URL is wrong.
  const answered = input.rounds.reduce((sum, round) => sum + (round.requests ?? 1) - (round.disconnects ?? 0), 0);
  if (ok === 0 && answered > 0)
    findings.push({
      kind: 'inconclusive',
      reason:
        "No request got a 2xx or 3xx answer: the target URL may be wrong (every answer an error), so the app's own request path was never tested.",
    });
  // Only a source that lists sessions can tell: they carry the server's own idle clocks, so a
  // session used between two readings is still seen. A count can miss short activity.
  if (input.sessions?.touched === 0)
    findings.push({
      kind: 'inconclusive',
      reason:
        'The load never moved the database: no session on the watched database was opened or used. The --db URL may name another database or server than the app uses.',
    });
  return findings;
}

/** How close to `max_connections` counts as at the limit: the sampler's own slot, plus 2 %. */
export function capacityMargin(serverMax: number): number {
  return 1 + Math.max(1, Math.ceil(serverMax * 0.02));
}

function settleLeak(input: VerdictInput): Finding[] {
  const last = input.settle.at(-1);
  const limit = restLimit(input);
  if (last === undefined || last.connections <= limit) return [];
  const history =
    input.settle.length > 1 ? ` (${input.settle.map((point) => `${point.connections} at ${point.afterMs} ms`).join(', ')})` : '';
  return [
    {
      kind: 'leak',
      reason: `${last.connections} connections were still open ${last.afterMs} ms after the load stopped${history}, above the baseline of ${input.baseline} plus ${allowedText(input)} (${limit}): connections are not being released.`,
    },
  ];
}

function risingFloor(input: VerdictInput): Finding[] {
  const floors = [input.baseline, ...input.rounds.flatMap((round) => (round.floor === undefined ? [] : [round.floor]))];
  const rising = floors.every((floor, i) => i === 0 || floor > (floors[i - 1] ?? Infinity));
  const last = floors.at(-1) ?? 0;
  if (floors.length < 3 || !rising || last <= restLimit(input)) return [];
  return [
    {
      kind: 'leak',
      reason: `The count at rest rose after every round (baseline ${floors.join(' → ')}) and ended above ${restLimit(input)}: each round left connections behind.`,
    },
  ];
}

function overBudget(input: VerdictInput): Finding[] {
  const budget = input.config.maxConnections;
  if (budget === undefined || input.peak <= budget) return [];
  return [{ kind: 'over-budget', reason: `The database counted up to ${input.peak} connections, more than the budget of ${budget}.` }];
}

function capacity(input: VerdictInput): Finding[] {
  const refusals = input.rounds.reduce((sum, round) => sum + round.refusals, 0);
  const findings: Finding[] = [];
  if (refusals > 0) {
    findings.push({
      kind: 'capacity',
      reason: `${refusals} requests were refused by the database for its connection limit (Too many connections, 1040 / 53300, DATABASE_REFUSED).`,
    });
  }
  const max = input.serverMaxConnections;
  if (max !== undefined && input.peak >= max - capacityMargin(max)) {
    findings.push({ kind: 'capacity', reason: `The count peaked at ${input.peak}, at the server's limit of ${max} connections.` });
  }
  return findings;
}

function settledNote(input: VerdictInput): string {
  const last = input.settle.at(-1);
  const settled =
    last === undefined
      ? 'It did not leave connections behind in the pauses'
      : `It settled to ${last.connections} connections ${last.afterMs} ms after the load`;
  return `${settled}, so this is a sizing problem, not a leak: keep the app's pool (times its processes) below the server's max_connections, or raise it; an app without a pool (a connection per request) needs its concurrent requests bounded below that limit, or a pool.`;
}

function noLeakReasons(input: VerdictInput): string[] {
  const last = input.settle.at(-1);
  const reasons = [
    last === undefined
      ? 'The run ended before the first settle point, so the settled count is unknown; no leak was seen while it ran.'
      : `The count settled to ${last.connections} connections ${last.afterMs} ms after the load, within the baseline of ${input.baseline} plus ${allowedText(input)} (${restLimit(input)}).`,
  ];
  if (input.sessions !== undefined)
    reasons.push(`No session was stranded or left idle in a transaction (${input.sessions.touched} sessions touched by the load).`);
  const floors = input.rounds.flatMap((round) => (round.floor === undefined ? [] : [round.floor]));
  if (floors.length > 0) reasons.push(`The count at rest between rounds did not keep rising (${[input.baseline, ...floors].join(' → ')}).`);
  reasons.push(
    `The peak was ${input.peak}${input.config.maxConnections === undefined ? '' : `, within the budget of ${input.config.maxConnections}`}${input.serverMaxConnections === undefined ? '' : ` (server limit ${input.serverMaxConnections})`}.`,
  );
  return reasons;
}

function lowerFirst(text: string): string {
  return text.length > 0 && /^[A-Z][a-z]/.test(text) ? `${text[0]!.toLowerCase()}${text.slice(1)}` : text;
}
