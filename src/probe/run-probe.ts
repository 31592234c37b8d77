/**
 * `runProbe`: the probe as a library function (the `leakproof probe` CLI is a thin layer over
 * it). It drives parallel HTTP load at any server, with clients that leave mid-request, while
 * reading the database's own list of sessions, and returns a `ProbeResult` with a verdict
 * from what each session did.
 *
 * @example
 * import { runProbe } from 'leakproof/probe'; // src/probe/index.ts
 * const result = await runProbe({ url: 'http://localhost:3000/polls', db: 'mysql://monitor:pw@localhost/app' });
 * console.log(result.verdict.kind, result.verdict.reasons.join('\n'));
 * process.exitCode = result.verdict.exitCode;
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { ProbeError } from '../errors/errors.js';
import { buildResult } from './build-result.js';
import { LoadClient } from './load/load-client.js';
import { requestSpec, type RequestSpec } from './load/request-spec.js';
import { scrub, secretsOf } from '../secrets/mask-secrets.js';
import { resolveProbeConfig, type ResolvedProbe } from './probe-config.js';
import type { ProbeHooks, ProbeOptions, ProbeResult } from './probe-result.js';
import { ProbeRun } from './probe-run.js';
import { SampleReader } from './sample-reader.js';
import { createSampler } from './samplers/create-sampler.js';
import type { Sampler } from './samplers/sampler.js';

/**
 * Runs the probe. Options are in milliseconds; see `PROBE_DEFAULTS` for the defaults (50 in
 * parallel, 3 rounds of 500 requests, 2 s pauses, 20 % of requests leaving 50 ms in, settle
 * points at 0.5 s, 2 s and 10 s).
 *
 * @throws ProbeError `PROBE_USAGE` for bad options (every problem listed), `PROBE_UNREACHABLE`
 *   when the database or the target cannot be reached before the load, or the database stops
 *   answering during it. Passwords are masked in every message and in `result.config`.
 */
export async function runProbe(options: ProbeOptions, hooks: ProbeHooks = {}): Promise<ProbeResult> {
  const resolved = resolveProbeConfig(options);
  const secrets = secretsOf([resolved.dbUrl, resolved.targetUrl]);
  const startedAt = new Date();
  const began = performance.now();
  const stopper = new AbortController();
  // Every request in flight listens for the stop: up to `concurrency` listeners, by design.
  setMaxListeners(0, stopper.signal);
  const onAbort = (): void => stopper.abort();
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  if (hooks.signal?.aborted) stopper.abort();
  const sampler = await openSampler(resolved, secrets);
  let client: LoadClient | undefined;
  try {
    client = new LoadClient(targetSpec(resolved, options), resolved.config.concurrency, stopper.signal);
    const serverMaxConnections = await sampler.maxConnections().catch(() => undefined);
    const reader = new SampleReader(sampler, resolved.config.db, secrets);
    const target = client;
    const record = await new ProbeRun(resolved.config, reader, client, stopper, hooks.onProgress).execute(() =>
      checkTarget(target, resolved, secrets),
    );
    const durationMs = Math.round(performance.now() - began);
    return buildResult(record, { config: resolved.config, kind: resolved.samplerKind, serverMaxConnections, startedAt, durationMs });
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    stopper.abort();
    await client?.close();
    await sampler.close().catch(() => undefined);
  }
}

/** Opens the sampler's connection, or fails with `PROBE_UNREACHABLE` naming the masked URL. */
async function openSampler(resolved: ResolvedProbe, secrets: readonly string[]): Promise<Sampler> {
  try {
    return await createSampler(resolved.dbUrl, resolved.config.filter, { metric: resolved.config.metric });
  } catch (error) {
    throw unreachable(`cannot read the connection count from ${resolved.config.db}`, error, secrets);
  }
}

/** The request to send, from the unmasked URL and headers. */
function targetSpec(resolved: ResolvedProbe, options: ProbeOptions): RequestSpec {
  const { config } = resolved;
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return requestSpec(resolved.targetUrl, {
    method: config.method,
    headers,
    body: config.body,
    timeoutMs: config.requestTimeoutMs,
    abortAfterMs: config.abortAfterMs,
  });
}

/** One request before the load: any HTTP answer will do; no answer is `PROBE_UNREACHABLE`. */
async function checkTarget(client: LoadClient, resolved: ResolvedProbe, secrets: readonly string[]): Promise<void> {
  const outcome = await client.send('normal');
  if (outcome.kind !== 'error' || outcome.code === 'STOPPED') return;
  const why = outcome.code === 'TIMEOUT' ? `no response within ${resolved.config.requestTimeoutMs} ms` : outcome.code;
  throw unreachable(`cannot reach the target ${resolved.config.method} ${resolved.config.url}`, new Error(why), secrets);
}

function unreachable(what: string, error: unknown, secrets: readonly string[]): ProbeError {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const detail = scrub(`${message}${typeof code === 'string' && !message.includes(code) ? ` (${code})` : ''}`, secrets);
  // The driver's own error stays out: its fields (a config object, a connection string) may hold the password.
  return new ProbeError('PROBE_UNREACHABLE', [`${what}: ${detail || 'unknown error'}`]);
}
