/**
 * Memory per idle connection and per request in flight, raw pools against leakproof
 * (bench/memory-worker.ts says how each is measured). Every measurement in a fresh process
 * started with --expose-gc, rounds interleaved; medians over rounds with their range.
 * Memory is not timing: the figures move by a few per cent between rounds, not by half.
 *
 *   npm run bench:memory     MEMORY_ROUNDS=3  MEMORY_IDLE=50  MEMORY_IN_FLIGHT=1000
 *
 * Writes bench/memory.md and bench/memory.json.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forkScript, nextMessage, stopChild, type Message } from './child.js';
import { readConfig } from './config.js';
import { buildLeakproof } from './leakproof-build.js';
import { MEMORY_VARIANTS, type MemoryResult, type MemorySettings, type MemoryVariantName } from './memory-spec.js';
import { median } from './stats.js';

const WORKER_TIMEOUT_MS = 120_000;

const log = (line: string): void => {
  process.stderr.write(`[memory ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function main(): Promise<void> {
  const base = readConfig();
  const rounds = Number(process.env['MEMORY_ROUNDS'] ?? 3);
  const idleConnections = Number(process.env['MEMORY_IDLE'] ?? 50);
  const inFlight = Number(process.env['MEMORY_IN_FLIGHT'] ?? 1000);
  buildLeakproof();
  const names = Object.keys(MEMORY_VARIANTS) as MemoryVariantName[];
  const results = new Map<MemoryVariantName, MemoryResult[]>(names.map((name) => [name, []]));
  const started = Date.now();
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 === 0 ? names : [...names].reverse()) {
      log(`round ${round + 1}/${rounds}: ${variant}`);
      const settings: MemorySettings = { variant, mysqlUrl: base.mysqlUrl, pgUrl: base.pgUrl, idleConnections, inFlight };
      results.get(variant)!.push(await measureOnce(settings));
    }
  }
  const meta = { date: new Date(started).toISOString(), node: process.versions.node, rounds, idleConnections, inFlight };
  const rows = names.map((name) => ({ name, label: MEMORY_VARIANTS[name], samples: results.get(name)! }));
  write('memory.json', `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  write('memory.md', renderMarkdown(meta, rows));
  log('wrote bench/memory.md and bench/memory.json');
}

async function measureOnce(settings: MemorySettings): Promise<MemoryResult> {
  const worker = forkScript('memory-worker.ts', [JSON.stringify(settings)], ['--expose-gc']);
  try {
    return (await nextMessage<Message & { result: MemoryResult }>(worker, 'result', WORKER_TIMEOUT_MS)).result;
  } finally {
    await stopChild(worker, 5_000);
  }
}

type Meta = { date: string; node: string; rounds: number; idleConnections: number; inFlight: number };
type Row = { name: MemoryVariantName; label: string; samples: readonly MemoryResult[] };

function renderMarkdown(meta: Meta, rows: readonly Row[]): string {
  const kib = (values: readonly number[]): string => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${(median(values) / 1024).toFixed(1)} (${(sorted[0]! / 1024).toFixed(1)}–${(sorted.at(-1)! / 1024).toFixed(1)})`;
  };
  // One entry per distinct report: they are the same in every round unless the setup went wrong.
  const checks = (row: Row): string =>
    [...new Set(row.samples.map(({ checks: c }) => `${c.idle} idle; ${c.holding} holding + ${c.waiting} waiting`))].join(' / ');
  return [
    '# Memory per idle connection and per request in flight',
    '',
    `${meta.date} · Node ${meta.node} · ${meta.rounds} rounds, each measurement in a fresh process. KiB of V8 heap + external memory (Buffers, native socket state) after a forced GC, median (min–max). Idle: ${meta.idleConnections} connections back in the pool against 1. In flight: ${meta.inFlight} requests at once on a pool of 10 (10 holding a connection, the rest queued) against none; in-process, so node:http's own request objects are not counted.`,
    '',
    '| variant | KiB per idle connection | KiB per request in flight | what the pool reported (per round) |',
    '| --- | ---: | ---: | --- |',
    ...rows.map(
      (row) =>
        `| ${row.label} | ${kib(row.samples.map((s) => s.bytesPerIdleConnection))} | ${kib(row.samples.map((s) => s.bytesPerRequestInFlight))} | ${checks(row)} |`,
    ),
    '',
  ].join('\n');
}

function write(name: string, text: string): void {
  writeFileSync(fileURLToPath(new URL(name, import.meta.url)), text);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
