/**
 * What every HTTP variant of the benchmark is, whichever file builds it: a request handler for
 * node:http and a close, made from the same settings.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Variant {
  readonly handle: Handler;
  close(): Promise<void>;
}

export interface VariantSettings {
  readonly mysqlUrl: string;
  readonly pgUrl: string;
  readonly poolSize: number;
  /** leakproof's `maxWaiting`; undefined: its default. The raw pools have no such bound. */
  readonly maxWaiting?: number | undefined;
  /** `holdOffShed` of leakproof/http and the framework adapters; undefined: its default. */
  readonly holdOffShed?: boolean | undefined;
}

/** `alias` with the run's `maxWaiting` where it sets one (leakproof's default otherwise). */
export function withRunQueue<T extends object>(alias: T, settings: VariantSettings): T | (T & { maxWaiting: number }) {
  return settings.maxWaiting === undefined ? alias : { ...alias, maxWaiting: settings.maxWaiting };
}
