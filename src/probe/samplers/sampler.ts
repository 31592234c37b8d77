/**
 * Where the probe reads the connection count: the database's own view of its sessions, or an
 * app's Prometheus endpoint. One sampler holds at most one connection to the database, opened
 * before the baseline and excluded from every count.
 *
 * @module
 */
import type { SessionFilter, SessionReading } from '../../drivers/server-session.js';
import type { SamplerKind } from '../probe-result.js';

export type { SessionFilter, SessionReading };

export interface Sampler {
  readonly kind: SamplerKind;
  /** The number of matching sessions now, the sampler's own excluded. */
  sample(): Promise<number>;
  /**
   * The matching sessions themselves, with what each is doing, when the source lists them (the
   * SQL samplers); absent for a source that only knows a count (a metrics page).
   */
  readSessions?(): Promise<SessionReading>;
  /**
   * How many sessions the server lets non-superusers open (`max_connections` less reserved
   * slots), or undefined when the source cannot tell.
   */
  maxConnections(): Promise<number | undefined>;
  /** Closes the sampler's connection. Idempotent. */
  close(): Promise<void>;
}

/** How long one reading (or opening the connection) may take before it counts as failed. */
export const SAMPLE_TIMEOUT_MS = 5000;
