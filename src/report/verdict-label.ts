import type { VerdictKind } from '../probe/probe-result.js';

/** How each verdict is named and summed up, the same in every report. */
export interface VerdictLabel {
  /** Short, upper-case: the big word. */
  readonly title: string;
  /** One sentence that says what it means. */
  readonly headline: string;
  /** A one-character mark for terminals. */
  readonly symbol: string;
}

export const VERDICT_LABELS: Readonly<Record<VerdictKind, VerdictLabel>> = {
  'no-leak': { title: 'NO LEAK', symbol: '✔', headline: 'Connections returned to their resting level after the load.' },
  leak: { title: 'LEAK', symbol: '✖', headline: 'Connections were lost: sessions sat unused while the app opened new ones.' },
  'over-budget': { title: 'OVER BUDGET', symbol: '✖', headline: 'The app opened more connections than its budget allows.' },
  capacity: {
    title: 'CAPACITY',
    symbol: '▲',
    headline: 'The database hit its connection limit under load, then recovered: size the pool.',
  },
  inconclusive: { title: 'INCONCLUSIVE', symbol: '?', headline: 'The load tested nothing: check the target URL and the --db database.' },
};
