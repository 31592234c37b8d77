/**
 * Drives the in-process part from the parent: two workers (raw, leakproof), every suite run in
 * interleaved rounds, one batch at a time so the workers never compete for a core.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, forkScript, nextMessage, stopChild, type Message } from './child.js';
import type { BenchConfig } from './config.js';
import { prepareSqlite } from './data.js';
import { MICRO_SUITES, type MicroSuiteSpec, type Side, type WorkerSettings } from './micro-spec.js';

export interface MicroVariantResult {
  readonly key: string;
  readonly label: string;
  readonly side: Side;
  /** Per round: wall-clock µs per op. */
  readonly wallUs: number[];
  /** Per round: CPU µs per op of the worker process (all its threads). */
  readonly cpuUs: number[];
  /** Promises created per op (counted once, after all timing). */
  promisesPerOp: number;
}

export interface MicroSuiteResult {
  readonly id: string;
  readonly title: string;
  readonly ops: number;
  readonly baseline: string;
  readonly variants: MicroVariantResult[];
  readonly extraPairs: ReadonlyArray<readonly [string, string]>;
}

interface BatchDone extends Message {
  readonly wallUs: number;
  readonly cpuUs: number;
}

const READY_TIMEOUT_MS = 60_000;
const BATCH_TIMEOUT_MS = 120_000;

export async function runMicro(config: BenchConfig, log: (line: string) => void): Promise<MicroSuiteResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-bench-'));
  const settings: WorkerSettings = { mysqlUrl: config.mysqlUrl, pgUrl: config.pgUrl, sqliteFile: join(dir, 'bench.sqlite3') };
  prepareSqlite(settings.sqliteFile);
  const workers = new Map<Side, ChildProcess>();
  try {
    for (const side of ['raw', 'leakproof'] as const) workers.set(side, await startWorker(side, settings));
    const results: MicroSuiteResult[] = [];
    for (const suite of MICRO_SUITES) {
      log(`in-process: ${suite.title} (${config.microRounds} rounds × ${suite.ops} ops per variant)`);
      results.push(await runSuite(suite, config.microRounds, workers));
    }
    log('in-process: counting promises per op');
    for (const suite of results) await countPromises(suite, workers);
    return results;
  } finally {
    await Promise.all([...workers.values()].map((worker) => stopChild(worker, 10_000)));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startWorker(side: Side, settings: WorkerSettings): Promise<ChildProcess> {
  const worker = forkScript('micro-worker.ts', [side, JSON.stringify(settings)], ['--expose-gc']);
  // A failing batch is reported, then the worker exits and the pending wait rejects.
  worker.on('message', (message: Message) => {
    if (message.type === 'failed') console.error(`bench: ${side} worker failed:\n${String(message['message'])}`);
  });
  await nextMessage(worker, 'ready', READY_TIMEOUT_MS);
  return worker;
}

async function runSuite(suite: MicroSuiteSpec, rounds: number, workers: ReadonlyMap<Side, ChildProcess>): Promise<MicroSuiteResult> {
  const results = suite.variants.map((variant): MicroVariantResult => ({ ...variant, wallUs: [], cpuUs: [], promisesPerOp: Number.NaN }));
  const batch = async (index: number): Promise<BatchDone> => {
    const variant = suite.variants[index]!;
    const request = { type: 'batch', key: `${suite.id}/${variant.key}`, ops: suite.ops };
    return ask<BatchDone>(workers.get(variant.side)!, request, 'batch-done', BATCH_TIMEOUT_MS);
  };
  // Warm-up round, not recorded: JIT, connections opened, server caches.
  for (let i = 0; i < suite.variants.length; i++) await batch(i);
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no variant always runs first (or right after another).
    for (let step = 0; step < suite.variants.length; step++) {
      const index = (round + step) % suite.variants.length;
      const done = await batch(index);
      results[index]!.wallUs.push(done.wallUs);
      results[index]!.cpuUs.push(done.cpuUs);
    }
  }
  return {
    id: suite.id,
    title: suite.title,
    ops: suite.ops,
    baseline: suite.baseline,
    variants: results,
    extraPairs: suite.extraPairs ?? [],
  };
}

const COUNT_OPS = 500;

async function countPromises(suite: MicroSuiteResult, workers: ReadonlyMap<Side, ChildProcess>): Promise<void> {
  for (const variant of suite.variants) {
    const request = { type: 'count', key: `${suite.id}/${variant.key}`, ops: COUNT_OPS };
    const done = await ask<Message & { promises: number }>(workers.get(variant.side)!, request, 'count-done', BATCH_TIMEOUT_MS);
    variant.promisesPerOp = done.promises;
  }
}
