import type { ProbeResult } from '../probe/probe-result.js';
import { maskHeaderValue, maskText } from '../secrets/mask-secrets.js';

/**
 * The result as pretty-printed JSON with a trailing newline, for `--json` and CI artefacts. The
 * result carries its own `schemaVersion`. Every string passes the same password mask as the
 * other reports and credential headers are replaced, so a secret that slipped through still
 * never lands in a log or an artefact (I8).
 *
 * @example
 * process.stdout.write(renderJson(result));
 */
export function renderJson(result: ProbeResult): string {
  const headers = Object.fromEntries(Object.entries(result.config.headers).map(([name, value]) => [name, maskHeaderValue(name, value)]));
  const masked: ProbeResult = { ...result, config: { ...result.config, headers } };
  return `${JSON.stringify(masked, (_key, value: unknown) => (typeof value === 'string' ? maskText(value) : value), 2)}\n`;
}
