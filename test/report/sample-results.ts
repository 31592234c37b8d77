/**
 * Realistic ProbeResults for the report tests, simulated rather than hand-written so they have
 * what a real run has: ~75 ms sample spacing over ~15 s, three load rounds with pauses, a settle
 * phase, hundreds of disconnect events. Seeded, so every run renders the same report.
 *
 * @module
 */
import {
  PROBE_SCHEMA_VERSION,
  type DisconnectShape,
  type ProbeConfig,
  type ProbeEvent,
  type ProbeResult,
  type RoundSummary,
  type Sample,
  type Verdict,
} from '../../src/probe/probe-result.js';

const SAMPLE_MS = 75;
const BASELINE_MS = 600;
const ROUND_MS = 3000;
const PAUSE_MS = 1500;
const SETTLE_POINTS_MS = [500, 1500, 2500] as const;
const SHAPES: readonly DisconnectShape[] = ['abort-before-response', 'abort-mid-body', 'abort-post-body'];

/** What makes one scenario differ from another. */
interface Scenario {
  readonly seed: number;
  readonly concurrency: number;
  readonly requestsPerRound: number;
  readonly baseline: number;
  readonly serverMax: number | undefined;
  readonly budget: number | undefined;
  /** The count the app is heading for at time `t`, given requests in flight and the round. */
  readonly target: (inFlight: number, phase: Sample['phase'], progress: number, round: number) => number;
  readonly errorRatio: number;
  readonly verdict: (facts: Facts) => Verdict;
  readonly config?: Partial<ProbeConfig>;
}

/** Numbers the verdict's reasons quote. */
interface Facts {
  readonly baseline: number;
  readonly peak: number;
  readonly floors: readonly number[];
  readonly settled: number;
  readonly refusals: number;
}

/** Three rounds; the count rises under load and is back at baseline in every pause and at settle. */
export function noLeakResult(): ProbeResult {
  return simulate({
    seed: 7,
    concurrency: 40,
    requestsPerRound: 1200,
    baseline: 2,
    serverMax: 151,
    budget: 20,
    errorRatio: 0.002,
    target: (inFlight, phase) => (phase === 'load' ? 2 + Math.min(16, inFlight * 0.45) : 2),
    verdict: (facts) => ({
      kind: 'no-leak',
      exitCode: 0,
      reasons: [
        `${SETTLE_POINTS_MS.at(-1)! / 1000} s after the load the count was ${facts.settled}, within baseline ${facts.baseline} + allowed idle 0.`,
        `The floor between rounds stayed flat: ${facts.floors.join(' → ')}.`,
      ],
    }),
  });
}

/** Every round leaves ~6 connections behind: the floor rises and the settle count stays high. */
export function leakResult(): ProbeResult {
  return simulate({
    seed: 11,
    concurrency: 40,
    requestsPerRound: 1100,
    baseline: 2,
    serverMax: 151,
    budget: undefined,
    errorRatio: 0.004,
    target: (inFlight, phase, progress, round) => {
      if (phase === 'baseline') return 2;
      const leaked = 6 * (round + (phase === 'load' ? progress : 1));
      return 2 + Math.round(leaked) + (phase === 'load' ? Math.min(14, inFlight * 0.35) : 0);
    },
    verdict: (facts) => ({
      kind: 'leak',
      exitCode: 1,
      reasons: [
        `${SETTLE_POINTS_MS.at(-1)! / 1000} s after the load the count was still ${facts.settled}, above baseline ${facts.baseline} + allowed idle 0 = ${facts.baseline}.`,
        `The floor rose from round to round: ${facts.floors.join(' → ')}.`,
      ],
    }),
    config: { durationMs: ROUND_MS, requests: undefined },
  });
}

/** The load asks for more than max_connections: refusals at the limit, then a clean settle. */
export function capacityResult(): ProbeResult {
  return simulate({
    seed: 23,
    concurrency: 80,
    requestsPerRound: 1500,
    baseline: 3,
    serverMax: 40,
    budget: undefined,
    errorRatio: 0.001,
    target: (inFlight, phase) => (phase === 'load' ? 3 + inFlight * 0.8 : 3),
    verdict: (facts) => ({
      kind: 'capacity',
      exitCode: 0,
      reasons: [
        `The database refused ${facts.refusals} requests ("Too many connections") while the count sat at its max_connections of ${facts.peak}.`,
        `The load (concurrency 80) needs more connections than the server allows; the count settled back to ${facts.settled} after the load, so this is sizing, not a leak.`,
      ],
    }),
  });
}

function simulate(scenario: Scenario): ProbeResult {
  const random = mulberry32(scenario.seed);
  const config = probeConfig(scenario);
  const loadEnd = BASELINE_MS + config.rounds * ROUND_MS + (config.rounds - 1) * PAUSE_MS;
  const end = loadEnd + SETTLE_POINTS_MS.at(-1)! + 100;
  const samples = simulateSamples(scenario, end, random);
  const rounds: RoundSummary[] = [];
  const events: ProbeEvent[] = [];
  for (let index = 0; index < config.rounds; index++) {
    const round = simulateRound(scenario, index, samples, random);
    rounds.push(round.summary);
    events.push(...round.events);
  }
  const settle = SETTLE_POINTS_MS.map((afterMs) => ({ afterMs, connections: countAt(samples, loadEnd + afterMs) }));
  const peak = Math.max(...samples.map((sample) => sample.connections));
  const totals = sumRounds(rounds);
  const facts = {
    baseline: scenario.baseline,
    peak,
    floors: floors(rounds),
    settled: settle.at(-1)!.connections,
    refusals: totals.refusals,
  };
  return {
    schemaVersion: PROBE_SCHEMA_VERSION,
    tool: { name: 'leakproof', version: '0.1.0' },
    startedAt: '2025-11-25T10:00:00.000Z',
    durationMs: end,
    config,
    database: { kind: 'mysql', maxConnections: scenario.serverMax },
    baseline: scenario.baseline,
    peak,
    settle,
    rounds,
    samples,
    events: events.sort((a, b) => a.t - b.t),
    totals,
    verdict: scenario.verdict(facts),
    restingLevel: { allowedIdle: typeof config.allowedIdle === 'number' ? config.allowedIdle : 0, source: 'option' },
    shapes: [],
    warnings: [],
  };
}

function probeConfig(scenario: Scenario): ProbeConfig {
  return {
    url: 'http://127.0.0.1:3000/polls/1/vote',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"choice":2}',
    concurrency: scenario.concurrency,
    requests: scenario.requestsPerRound,
    durationMs: undefined,
    rounds: 3,
    pauseMs: PAUSE_MS,
    abortRatio: 0.2,
    abortAfterMs: 50,
    shapes: SHAPES,
    db: 'mysql://app:***@127.0.0.1:3306/polls',
    sampleIntervalMs: SAMPLE_MS,
    settlePointsMs: SETTLE_POINTS_MS,
    allowedIdle: 0,
    maxConnections: scenario.budget,
    filter: { user: 'app' },
    requestTimeoutMs: 10_000,
    ...scenario.config,
  };
}

/** Where the run is at time `t`: phase, round, and how far into the round (0–1). */
function phaseAt(t: number, rounds: number): { phase: Sample['phase']; round: number | undefined; progress: number } {
  if (t < BASELINE_MS) return { phase: 'baseline', round: undefined, progress: 0 };
  const offset = t - BASELINE_MS;
  const round = Math.floor(offset / (ROUND_MS + PAUSE_MS));
  const within = offset - round * (ROUND_MS + PAUSE_MS);
  if (round >= rounds || (round === rounds - 1 && within >= ROUND_MS)) return { phase: 'settle', round: undefined, progress: 1 };
  if (within < ROUND_MS) return { phase: 'load', round, progress: within / ROUND_MS };
  return { phase: 'pause', round, progress: 1 };
}

function simulateSamples(scenario: Scenario, end: number, random: () => number): Sample[] {
  const samples: Sample[] = [];
  let level = scenario.baseline;
  for (let t = 0; t <= end; t += SAMPLE_MS) {
    const at = phaseAt(t, 3);
    const inFlight = at.phase === 'load' ? inFlightAt(scenario.concurrency, at.progress, random) : 0;
    const target = scenario.target(inFlight, at.phase, at.progress, at.round ?? 2);
    // Connections follow demand with a lag, the way a pool grows and idles out.
    level += (target - level) * (at.phase === 'load' ? 0.35 : 0.3);
    const jitter = at.phase === 'load' ? Math.round((random() - 0.5) * 2) : 0;
    const connections = Math.min(scenario.serverMax ?? Infinity, Math.max(scenario.baseline, Math.round(level) + jitter));
    samples.push({ t, connections, inFlight, phase: at.phase, ...(at.round === undefined ? {} : { round: at.round }) });
  }
  return samples;
}

/** Ramps up over the first 5% of a round, holds near the concurrency, drains over the last 5%. */
function inFlightAt(concurrency: number, progress: number, random: () => number): number {
  const ramp = Math.min(1, progress / 0.05, (1 - progress) / 0.05);
  return Math.max(0, Math.round(concurrency * ramp - random() * 4));
}

function simulateRound(scenario: Scenario, index: number, samples: readonly Sample[], random: () => number) {
  const startedAt = BASELINE_MS + index * (ROUND_MS + PAUSE_MS);
  const endedAt = startedAt + ROUND_MS;
  const events: ProbeEvent[] = [];
  for (let request = 0; request < scenario.requestsPerRound; request++) {
    const t = Math.round(startedAt + random() * ROUND_MS);
    const event = requestEvent(scenario, t, index, samples, random);
    if (event !== undefined) events.push(event);
  }
  const count = (kind: ProbeEvent['kind']): number => events.filter((event) => event.kind === kind).length;
  const refusals = count('refusal');
  const errors = count('error') + refusals;
  const disconnects = count('disconnect');
  const ok = scenario.requestsPerRound - errors - disconnects;
  const load = samples.filter((sample) => sample.phase === 'load' && sample.round === index);
  const pause = samples.filter((sample) => sample.phase === 'pause' && sample.round === index);
  const summary: RoundSummary = {
    index,
    startedAt,
    endedAt,
    requests: scenario.requestsPerRound,
    ok,
    errors,
    disconnects,
    refusals,
    statusCounts: {
      '200': ok,
      ...(errors - refusals > 0 ? { '500': errors - refusals } : {}),
      ...(refusals > 0 ? { '503': refusals } : {}),
    },
    peak: Math.max(...load.map((sample) => sample.connections)),
    floor: pause.length === 0 ? undefined : Math.min(...pause.map((sample) => sample.connections)),
    latencyMs: { p50: round1(18 + random() * 10 + (refusals > 0 ? 25 : 0)), p99: round1(120 + random() * 90 + (refusals > 0 ? 400 : 0)) },
  };
  return { summary, events };
}

function requestEvent(
  scenario: Scenario,
  t: number,
  round: number,
  samples: readonly Sample[],
  random: () => number,
): ProbeEvent | undefined {
  const roll = random();
  if (roll < 0.2) return { t, kind: 'disconnect', round, detail: SHAPES[Math.floor(random() * SHAPES.length)] ?? 'abort-before-response' };
  const atLimit = scenario.serverMax !== undefined && countAt(samples, t) >= scenario.serverMax;
  if (atLimit && roll < 0.45) return { t, kind: 'refusal', round, detail: 'ER_CON_COUNT_ERROR (1040) Too many connections' };
  if (roll > 1 - scenario.errorRatio) return { t, kind: 'error', round, detail: '500' };
  return undefined;
}

function countAt(samples: readonly Sample[], t: number): number {
  let found = samples[0]?.connections ?? 0;
  for (const sample of samples) {
    if (sample.t > t) break;
    found = sample.connections;
  }
  return found;
}

function floors(rounds: readonly RoundSummary[]): number[] {
  return rounds.flatMap((round) => (round.floor === undefined ? [] : [round.floor]));
}

function sumRounds(rounds: readonly RoundSummary[]): ProbeResult['totals'] {
  const statusCounts: Record<string, number> = {};
  for (const round of rounds) {
    for (const [status, count] of Object.entries(round.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + count;
  }
  const sum = (key: 'requests' | 'ok' | 'errors' | 'disconnects' | 'refusals'): number =>
    rounds.reduce((total, round) => total + round[key], 0);
  return {
    requests: sum('requests'),
    ok: sum('ok'),
    errors: sum('errors'),
    disconnects: sum('disconnects'),
    refusals: sum('refusals'),
    statusCounts,
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A small seeded PRNG, so the simulated runs are the same every time. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** The password every secret in `hostileResult` carries; no report may print it. */
export const SECRET = 'hunter2-Very-Secret';

/**
 * A no-leak run whose strings try everything: markup in the URL, header and reason, quotes,
 * and passwords that slipped through the probe's own masking.
 */
export function hostileResult(): ProbeResult {
  const base = noLeakResult();
  return {
    ...base,
    config: {
      ...base.config,
      url: `http://admin:${SECRET}@127.0.0.1:3000/search?q=<script>alert(1)</script>&x="'`,
      db: `mysql://app:${SECRET}@127.0.0.1:3306/polls?ssl=true&password=${SECRET}`,
      headers: { authorization: `Bearer ${SECRET}`, 'x-note': '<b>bold</b> & "quoted"' },
    },
    verdict: {
      ...base.verdict,
      reasons: [...base.verdict.reasons, `The target said <img src=x onerror=alert(1)> via postgres://u:${SECRET}@db/x.`],
    },
  };
}
