/**
 * What the reader should know besides the verdict: a disconnect shape that cut nothing, server
 * errors whose cause the probe could not see, transactions it could not see.
 *
 * @module
 */
import type { ProbeResult, SessionsSummary, ShapeSummary } from './probe-result.js';

export interface WarningInput {
  readonly shapes: readonly ShapeSummary[];
  readonly totals: ProbeResult['totals'];
  readonly sessions: SessionsSummary | undefined;
}

export function probeWarnings(input: WarningInput): string[] {
  const warnings: string[] = [];
  for (const shape of input.shapes) {
    if (shape.planned > 0 && shape.disconnected === 0) {
      warnings.push(
        `The ${shape.shape} shape disconnected nobody: all ${shape.planned} of its requests got their whole response first (use a slower endpoint, or a longer body for abort-mid-body).`,
      );
    }
  }
  const serverErrors = unexplainedServerErrors(input.totals);
  if (serverErrors > 0) {
    warnings.push(
      `${serverErrors} answers were 5xx without saying why: whether the database refused them is unknown (the probe sees a refusal only when the answer names it: 1040, 53300, Too many connections).`,
    );
  }
  if (input.sessions !== undefined && !input.sessions.transactionsVisible) {
    warnings.push(
      'Transactions were not visible to the --db user (MySQL/MariaDB need the PROCESS privilege for INNODB_TRX): a session left idle in a transaction would look idle.',
    );
  }
  return warnings;
}

/** 5xx answers not counted as refusals. */
export function unexplainedServerErrors(totals: ProbeResult['totals']): number {
  const serverErrors = Object.entries(totals.statusCounts)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
  return Math.max(0, serverErrors - totals.refusals);
}
