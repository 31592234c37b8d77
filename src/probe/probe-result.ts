/**
 * The result of one probe run: what `runProbe` returns, what `--json` prints and what the
 * text and HTML reports render. Versioned: a change that breaks readers bumps
 * `PROBE_SCHEMA_VERSION`. Every URL in it has its password masked.
 *
 * @module
 */

import type { NamedSession, SessionClass } from './sessions/classify-sessions.js';

export type { NamedSession, SessionClass };

export const PROBE_SCHEMA_VERSION = 1;

/** How clients leave early. */
export type DisconnectShape =
  /** The client closes after `abortAfterMs`, before the response. */
  | 'abort-before-response'
  /** The client reads the first bytes of a (streamed) response, then closes. */
  | 'abort-mid-body'
  /** The client sends headers and part of a POST body, then closes. */
  | 'abort-post-body'
  /** Two pipelined requests on one socket that dies while the first is pending. */
  | 'pipelined-socket-death';

/** Where the connection count comes from. */
export type SamplerKind = 'mysql' | 'postgres' | 'pgbouncer' | 'prometheus';

/** The probe's options after parsing and defaults (durations in ms). */
export interface ProbeConfig {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly concurrency: number;
  /** Requests per round; undefined when the round is bounded by `durationMs`. */
  readonly requests: number | undefined;
  /** Duration per round; undefined when bounded by `requests`. */
  readonly durationMs: number | undefined;
  readonly rounds: number;
  /** Pause between rounds, sampled, so a rising floor shows. */
  readonly pauseMs: number;
  /** Share of requests that disconnect early (0–1). */
  readonly abortRatio: number;
  readonly abortAfterMs: number;
  readonly shapes: readonly DisconnectShape[];
  /** The database (or metrics endpoint) URL, password masked. */
  readonly db: string;
  readonly sampleIntervalMs: number;
  /** When the settled count is read after the load stops, e.g. [500, 2000, 10000]. */
  readonly settlePointsMs: readonly number[];
  /**
   * Connections the app may keep open at rest (its idle pool) without that being a leak.
   * `'learned'` (the default): the resting level is learned from what the sessions did, and
   * the verdict rests on them; a number overrides it and adds the count rules.
   */
  readonly allowedIdle: number | 'learned';
  /** A load that got no 2xx/3xx answer, or never touched the database, is expected: no exit 2 for it. */
  readonly acceptNoEffect?: boolean;
  /** The budget `--max-connections`: exceeding it is `over-budget`. */
  readonly maxConnections: number | undefined;
  /** Which sessions count: filter on the database's own view. */
  readonly filter: { readonly user?: string; readonly database?: string; readonly host?: string };
  /** Per-request client timeout. */
  readonly requestTimeoutMs: number;
  /**
   * Prometheus only: the gauge summed over its series. Default `leakproof_connections_open`.
   * Absent for the SQL samplers. (Added after schema 1 was drafted; optional, so additive.)
   */
  readonly metric?: string;
}

/** One reading of the database's connection count. `t` is ms since the run started. */
export interface Sample {
  readonly t: number;
  /** The count, sampler's own connection excluded. */
  readonly connections: number;
  /** Requests in flight at that moment. */
  readonly inFlight: number;
  /** Which phase the sample belongs to. */
  readonly phase: 'baseline' | 'load' | 'pause' | 'settle';
  /** Round index (0-based) for load and pause samples. */
  readonly round?: number;
  /**
   * The sessions of this reading by what they did (SQL sources only): running a statement,
   * idle (a pool's, or on their way out), and stranded (never used again after going idle).
   */
  readonly band?: { readonly active: number; readonly idle: number; readonly stranded: number };
}

/** Something that happened to a request, for the chart's marks. */
export interface ProbeEvent {
  readonly t: number;
  readonly kind: 'disconnect' | 'error' | 'refusal';
  readonly round: number;
  /** Status code, error code or shape. */
  readonly detail: string;
}

export interface RoundSummary {
  readonly index: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly requests: number;
  /** 2xx/3xx responses. */
  readonly ok: number;
  /** Responses ≥ 400 and transport errors (disconnects excluded). */
  readonly errors: number;
  /** Requests the probe itself cut off. */
  readonly disconnects: number;
  /** Responses or errors that say the database refused (1040, 53300, "Too many connections"). */
  readonly refusals: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly peak: number;
  /** The lowest count in the pause after this round (the floor); undefined for the last round. */
  readonly floor: number | undefined;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
}

/** What the sessions did over the run (SQL sources only). */
export interface SessionsSummary {
  /** Sessions the load opened or used. */
  readonly touched: number;
  readonly counts: Readonly<Record<SessionClass, number>>;
  /** The pool's resting level: sessions used again in the last round and still open at the end (not stranded), at most the peak above the baseline. */
  readonly learnedRestingLevel: number;
  /** Sessions used again after being idle, per round: a pool's level is stable from round to round. */
  readonly reusedPerRound: readonly number[];
  /** The stranded sessions, oldest first (at most 100 listed; `strandedTotal` counts them all). */
  readonly stranded: readonly NamedSession[];
  readonly strandedTotal: number;
  readonly idleInTransaction: readonly NamedSession[];
  /** False when the reading user could not see transactions (MySQL without PROCESS). */
  readonly transactionsVisible: boolean;
}

/** What one disconnect shape did: planned cuts, and how many really cut a request in flight. */
export interface ShapeSummary {
  readonly shape: DisconnectShape;
  readonly planned: number;
  /** Cut before the response completed. */
  readonly disconnected: number;
  /** The whole response arrived before the cut: a normal request after all. */
  readonly completed: number;
}

export interface SettlePoint {
  readonly afterMs: number;
  readonly connections: number;
}

/**
 * `no-leak`: settled back to baseline + allowedIdle and no rising floor.
 * `leak`: the settled count stays above that, or the floor rises from round to round.
 * `over-budget`: the count exceeded `--max-connections`.
 * `capacity`: the database hit its own limit (refusals, peak at max_connections) while the load
 * exceeded it, but settled: a sizing problem, not a leak.
 * `inconclusive`: the load tested nothing (no 2xx/3xx answer, or no session touched); exit 2.
 */
export type VerdictKind = 'no-leak' | 'leak' | 'over-budget' | 'capacity' | 'inconclusive';

export interface Verdict {
  readonly kind: VerdictKind;
  /** 0 for no-leak and capacity, 1 for leak and over-budget, 2 for inconclusive. */
  readonly exitCode: 0 | 1 | 2;
  /** Plain sentences: why this verdict, with the numbers. */
  readonly reasons: readonly string[];
}

export interface ProbeResult {
  readonly schemaVersion: typeof PROBE_SCHEMA_VERSION;
  readonly tool: { readonly name: 'leakproof'; readonly version: string };
  readonly startedAt: string;
  readonly durationMs: number;
  readonly config: ProbeConfig;
  readonly database: {
    readonly kind: SamplerKind;
    /** The server's `max_connections`, if the sampler could read it. */
    readonly maxConnections: number | undefined;
  };
  /** The count before any load. */
  readonly baseline: number;
  readonly peak: number;
  readonly settle: readonly SettlePoint[];
  readonly rounds: readonly RoundSummary[];
  readonly samples: readonly Sample[];
  readonly events: readonly ProbeEvent[];
  readonly totals: {
    readonly requests: number;
    readonly ok: number;
    readonly errors: number;
    readonly disconnects: number;
    readonly refusals: number;
    readonly statusCounts: Readonly<Record<string, number>>;
  };
  readonly verdict: Verdict;
  /** The idle connections allowed at rest and where that number came from. */
  readonly restingLevel: { readonly allowedIdle: number; readonly source: 'learned' | 'option' };
  /** Present for the SQL sources, which list each session. */
  readonly sessions?: SessionsSummary;
  readonly shapes: readonly ShapeSummary[];
  /** Things the reader should know that are not the verdict (a shape that cut nothing, refusals unknown, …). */
  readonly warnings: readonly string[];
}

/** What `runProbe` takes: the target and database URLs (passwords allowed) and any option. */
export type ProbeOptions = Partial<Omit<ProbeConfig, 'url' | 'db'>> & {
  readonly url: string;
  /** `mysql://…`, `mariadb://…`, `postgres://…`, or an `http(s)://…/metrics` Prometheus endpoint. */
  readonly db: string;
};

/** A live view of the run, for progress bars. */
export interface ProbeProgress {
  readonly phase: Sample['phase'];
  readonly round: number;
  readonly rounds: number;
  readonly elapsedMs: number;
  /** Requests finished in this round, and the round's target when bounded by count. */
  readonly done: number;
  readonly total: number | undefined;
  readonly inFlight: number;
  readonly connections: number;
  /** `ok`, `errors` and `disconnects` are totals over the whole run so far. */
  readonly ok: number;
  readonly errors: number;
  readonly disconnects: number;
}

/** Hooks `runProbe` calls while it runs. */
export interface ProbeHooks {
  readonly onProgress?: (progress: ProbeProgress) => void;
  /** Aborting stops the load and the settle phase early; the result is still returned. */
  readonly signal?: AbortSignal;
}
