/**
 * What bench/memory.ts asks of bench/memory-worker.ts and what it answers, in a module of its own
 * so the parent can import it without running the worker.
 *
 * @module
 */
export const MEMORY_VARIANTS = {
  'raw-mysql2': 'raw mysql2 pool',
  'leakproof-mysql2': 'leakproof + mysql2',
  'raw-mariadb': 'raw mariadb pool',
  'leakproof-mariadb': 'leakproof + mariadb',
  'raw-pg': 'raw pg Pool',
  'leakproof-pg': 'leakproof + pg',
} as const;

export type MemoryVariantName = keyof typeof MEMORY_VARIANTS;

export interface MemorySettings {
  readonly variant: MemoryVariantName;
  readonly mysqlUrl: string;
  readonly pgUrl: string;
  readonly idleConnections: number;
  readonly inFlight: number;
}

export interface MemoryResult {
  /** Bytes of heap + external per idle connection beyond the first. */
  readonly bytesPerIdleConnection: number;
  /** Bytes of heap + external per request in flight (holding a connection or queued for one). */
  readonly bytesPerRequestInFlight: number;
  /** What the pool itself reported at each measured moment, so a reader can check the setup. */
  readonly checks: { readonly idle: number; readonly holding: number; readonly waiting: number };
}
