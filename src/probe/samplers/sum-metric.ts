/**
 * Reads one metric out of the Prometheus text exposition format.
 *
 * @module
 */

/** `name{labels} value [timestamp]`; label values may hold `}`, spaces and escaped quotes. */
const SERIES = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?[ \t]+(\S+)/;

/**
 * The sum of `metric` over all its series, or undefined when the text has no series of it.
 *
 * @example
 * sumMetric('leakproof_connections_open{alias="default"} 3\nleakproof_connections_open{alias="replica"} 1\n',
 *   'leakproof_connections_open') // 4
 */
export function sumMetric(text: string, metric: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const match = SERIES.exec(line.trim());
    if (match?.[1] !== metric) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}
