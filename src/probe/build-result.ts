/**
 * Assembles the `ProbeResult` from what a run recorded: totals summed over rounds, the peak,
 * and the verdict.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type { RunRecord } from './probe-run.js';
import { PROBE_SCHEMA_VERSION, type ProbeConfig, type ProbeResult, type RoundSummary, type SamplerKind } from './probe-result.js';
import { probeWarnings } from './probe-warnings.js';
import type { RoundSpan } from './sessions/classify-sessions.js';
import { summarizeSessions } from './sessions/summarize-sessions.js';
import { allowedIdleOf, decideVerdict } from './verdict.js';

export interface ResultContext {
  readonly config: ProbeConfig;
  readonly kind: SamplerKind;
  readonly serverMaxConnections: number | undefined;
  readonly startedAt: Date;
  readonly durationMs: number;
}

export function buildResult(record: RunRecord, context: ResultContext): ProbeResult {
  const { baseline, rounds, settle, timeline } = record;
  const peak = Math.max(baseline, ...timeline.samples.map((sample) => sample.connections));
  const outcome = record.sessionsListed
    ? summarizeSessions(record.tracker, roundSpans(record), timeline.samples, peak - baseline)
    : undefined;
  const input = {
    baseline,
    peak,
    rounds,
    settle,
    config: context.config,
    serverMaxConnections: context.serverMaxConnections,
    complete: record.complete,
    ...(outcome === undefined ? {} : { sessions: outcome.summary }),
  };
  const verdict = decideVerdict(input);
  const totals = totalsOf(rounds);
  return {
    schemaVersion: PROBE_SCHEMA_VERSION,
    tool: { name: 'leakproof', version: toolVersion() },
    startedAt: context.startedAt.toISOString(),
    durationMs: context.durationMs,
    config: context.config,
    database: { kind: context.kind, maxConnections: context.serverMaxConnections },
    baseline,
    peak,
    settle,
    rounds,
    samples: outcome?.samples ?? timeline.samples,
    events: timeline.events,
    totals,
    verdict,
    restingLevel: { allowedIdle: allowedIdleOf(input), source: context.config.allowedIdle === 'learned' ? 'learned' : 'option' },
    ...(outcome === undefined ? {} : { sessions: outcome.summary }),
    shapes: record.shapes,
    warnings: probeWarnings({ shapes: record.shapes, totals, sessions: outcome?.summary }),
  };
}

/** The rounds' spans for classifying sessions; round 0 starts with the check request, the run's first. */
function roundSpans(record: RunRecord): RoundSpan[] {
  return record.rounds.map((round) => ({
    index: round.index,
    startedAt: round.index === 0 ? Math.min(record.checkedAt, round.startedAt) : round.startedAt,
    endedAt: round.endedAt,
  }));
}

function totalsOf(rounds: readonly RoundSummary[]): ProbeResult['totals'] {
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

let version: string | undefined;

/** leakproof's own version, from its package.json (two levels up from src/probe and dist/probe). */
function toolVersion(): string {
  if (version === undefined) {
    try {
      const { version: found } = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
      version = typeof found === 'string' ? found : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
