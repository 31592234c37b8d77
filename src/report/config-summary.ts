import type { ProbeConfig } from '../probe/probe-result.js';
import { formatCount, formatDuration, formatPercent } from './format.js';
import { maskHeaderValue, maskText } from '../secrets/mask-secrets.js';

/** One setting of the run, as a label and a value people can read. */
export interface ConfigItem {
  readonly label: string;
  readonly value: string;
}

/**
 * The probe's configuration in a fixed order, every URL and credential masked. The request body
 * is only sized: it may hold anything (tokens, personal data).
 */
export function configSummary(config: ProbeConfig): ConfigItem[] {
  const items: (ConfigItem | undefined)[] = [
    { label: 'target', value: `${config.method} ${maskText(config.url)}` },
    { label: 'db', value: maskText(config.db) },
    config.metric === undefined ? undefined : { label: 'metric', value: config.metric },
    { label: 'concurrency', value: formatCount(config.concurrency) },
    { label: 'rounds', value: roundsValue(config) },
    { label: 'pause', value: formatDuration(config.pauseMs) },
    { label: 'disconnects', value: disconnectsValue(config) },
    { label: 'sampling', value: `every ${formatDuration(config.sampleIntervalMs)}` },
    { label: 'settle', value: config.settlePointsMs.map(formatDuration).join(', ') },
    { label: 'allowed idle', value: config.allowedIdle === 'learned' ? 'learned' : formatCount(config.allowedIdle) },
    { label: 'budget', value: config.maxConnections === undefined ? 'none' : formatCount(config.maxConnections) },
    filterItem(config.filter),
    { label: 'timeout', value: formatDuration(config.requestTimeoutMs) },
    headersItem(config.headers),
    config.body === undefined ? undefined : { label: 'body', value: `${formatCount(Buffer.byteLength(config.body))} bytes` },
  ];
  return items.filter((item): item is ConfigItem => item !== undefined);
}

function roundsValue(config: ProbeConfig): string {
  const each = config.requests !== undefined ? `${formatCount(config.requests)} requests` : formatDuration(config.durationMs ?? 0);
  return `${config.rounds} × ${each}`;
}

function disconnectsValue(config: ProbeConfig): string {
  if (config.abortRatio <= 0) return 'none';
  const shapes = config.shapes.length > 0 ? ` (${config.shapes.join(', ')})` : '';
  return `${formatPercent(config.abortRatio)} after ${formatDuration(config.abortAfterMs)}${shapes}`;
}

function filterItem(filter: ProbeConfig['filter']): ConfigItem | undefined {
  const parts = Object.entries(filter)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${maskText(value)}`);
  return parts.length === 0 ? undefined : { label: 'filter', value: parts.join(', ') };
}

function headersItem(headers: ProbeConfig['headers']): ConfigItem | undefined {
  const parts = Object.entries(headers).map(([name, value]) => `${name}: ${maskHeaderValue(name, value)}`);
  return parts.length === 0 ? undefined : { label: 'headers', value: parts.join(', ') };
}
