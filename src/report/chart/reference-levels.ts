import type { ProbeResult } from '../../probe/probe-result.js';
import { PALETTE } from './palette.js';

/** A horizontal line at a connection count that the verdict is judged against. */
export interface ReferenceLevel {
  readonly key: 'baseline' | 'allowed' | 'budget' | 'server-max';
  readonly value: number;
  readonly label: string;
  readonly color: string;
  readonly dash: string | undefined;
}

/**
 * The levels worth a line: the baseline, the allowed resting level (folded into the baseline's
 * line when no idle connections are allowed, since they coincide), the budget, and the server's
 * max_connections.
 */
export function referenceLevels(result: ProbeResult): ReferenceLevel[] {
  const allowed = result.baseline + result.restingLevel.allowedIdle;
  const levels: ReferenceLevel[] = [];
  if (allowed === result.baseline) {
    levels.push({
      key: 'baseline',
      value: result.baseline,
      label: `baseline = allowed at rest (${result.baseline})`,
      color: PALETTE.allowed,
      dash: '6 4',
    });
  } else {
    levels.push({ key: 'baseline', value: result.baseline, label: `baseline (${result.baseline})`, color: PALETTE.baseline, dash: '3 3' });
    levels.push({ key: 'allowed', value: allowed, label: `allowed at rest (${allowed})`, color: PALETTE.allowed, dash: '6 4' });
  }
  const budget = result.config.maxConnections;
  if (budget !== undefined) levels.push({ key: 'budget', value: budget, label: `budget (${budget})`, color: PALETTE.budget, dash: '2 3' });
  const serverMax = result.database.maxConnections;
  if (serverMax !== undefined)
    levels.push({
      key: 'server-max',
      value: serverMax,
      label: `max_connections (${serverMax})`,
      color: PALETTE.serverMax,
      dash: undefined,
    });
  return levels;
}
