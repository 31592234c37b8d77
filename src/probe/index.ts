/**
 * The probe as a library: `runProbe` drives load with early-leaving clients at any HTTP server
 * while reading the database's own list of sessions, and returns a `ProbeResult` with a
 * verdict from what each session did (`result.sessions` names the stranded ones). Meant as the `leakproof/probe` subpath.
 *
 * @example
 * import { runProbe } from 'leakproof/probe';
 * const result = await runProbe({ url: 'http://localhost:3000/', db: 'postgres://monitor:pw@localhost/app' });
 * console.log(result.verdict.kind, result.verdict.reasons, result.sessions?.stranded);
 *
 * @module
 */
export { runProbe } from './run-probe.js';
export { PROBE_DEFAULTS, DISCONNECT_SHAPES, DEFAULT_METRIC, resolveProbeConfig } from './probe-config.js';
export { decideVerdict, type VerdictInput } from './verdict.js';
export { createSampler } from './samplers/create-sampler.js';
export type { Sampler, SessionFilter, SessionReading } from './samplers/sampler.js';
export type { SessionRow, SessionState } from '../drivers/server-session.js';
export { maskUrl } from '../secrets/mask-secrets.js';
export { ProbeError } from '../errors/errors.js';
export * from './probe-result.js';
