/**
 * What the verdict is decided from, and one finding of it: shared by the count rules
 * (verdict.ts) and the session rules (session-verdict.ts).
 *
 * @module
 */
import type { ProbeConfig, RoundSummary, SessionsSummary, SettlePoint, VerdictKind } from './probe-result.js';

export interface VerdictInput {
  readonly baseline: number;
  readonly peak: number;
  readonly rounds: readonly (Pick<RoundSummary, 'floor' | 'refusals'> & Partial<Pick<RoundSummary, 'ok' | 'requests' | 'disconnects'>>)[];
  readonly settle: readonly SettlePoint[];
  readonly config: Pick<ProbeConfig, 'allowedIdle' | 'maxConnections' | 'settlePointsMs'> & Partial<Pick<ProbeConfig, 'acceptNoEffect'>>;
  /** What each session did, when the source lists sessions (absent for a count-only source). */
  readonly sessions?: Pick<
    SessionsSummary,
    'stranded' | 'strandedTotal' | 'idleInTransaction' | 'learnedRestingLevel' | 'touched' | 'transactionsVisible'
  >;
  /** The server's limit for non-superusers, when the sampler could read it. */
  readonly serverMaxConnections: number | undefined;
  /** False when the run was stopped early. */
  readonly complete: boolean;
}

export interface Finding {
  readonly kind: VerdictKind;
  readonly reason: string;
}
