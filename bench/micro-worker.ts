/**
 * A worker of the in-process part (child of bench/run.ts): opens one side's variants, then
 * runs batches on request and answers with the per-op wall time and CPU time.
 *
 *   argv: <raw|leakproof> <WorkerSettings as JSON>
 *
 * The side module is imported dynamically so the raw worker never loads leakproof (whose
 * first scope would enable AsyncLocalStorage for the whole process).
 *
 * @module
 */
import { createHook } from 'node:async_hooks';
import { exitWithParent, sendToParent, type Message } from './child.js';
import type { OpenVariants, WorkerSettings } from './micro-spec.js';

interface BatchRequest extends Message {
  readonly key: string;
  readonly ops: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs `ops` operations one after another; µs per op of wall time and of this process's CPU. */
async function batch(op: (i: number) => unknown, ops: number): Promise<{ wallUs: number; cpuUs: number }> {
  // A collection left over from the previous batch would be billed to this one.
  gc?.();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await op(i);
  const wallNs = Number(process.hrtime.bigint() - started);
  const cpu = process.cpuUsage(cpuBefore);
  return { wallUs: wallNs / 1000 / ops, cpuUs: (cpu.user + cpu.system) / ops };
}

/**
 * Promises created per op, counted with an async_hooks init hook. Deterministic where timings
 * are not, and on Node 20 each promise is what the AsyncLocalStorage hook taxes. Enabling a
 * hook slows every later promise of the process, so the parent asks only after all timing.
 */
async function countPromises(op: (i: number) => unknown, ops: number): Promise<number> {
  let promises = 0;
  const hook = createHook({
    init: (_id, type) => {
      if (type === 'PROMISE') promises++;
    },
  });
  hook.enable();
  try {
    for (let i = 0; i < ops; i++) await op(i);
  } finally {
    hook.disable();
  }
  // Includes the loop's own `await` (one throwaway promise per op while hooks are on): the same for every variant.
  return promises / ops;
}

async function main(): Promise<void> {
  exitWithParent();
  const side = process.argv[2];
  const settings = JSON.parse(process.argv[3] ?? '{}') as WorkerSettings;
  if (side !== 'raw' && side !== 'leakproof') throw new Error(`unknown side "${side}"`);
  const module = side === 'raw' ? await import('./micro-raw.js') : await import('./micro-leakproof.js');
  const variants: OpenVariants = await module.openVariants(settings);
  process.on('message', (message: Message) => void handle(message, variants));
  await sendToParent({ type: 'ready', keys: [...variants.ops.keys()] });
}

async function handle(message: Message, variants: OpenVariants): Promise<void> {
  try {
    if (message.type === 'batch' || message.type === 'count') {
      const { key, ops } = message as BatchRequest;
      const op = variants.ops.get(key);
      if (op === undefined) throw new Error(`no variant "${key}" in this worker`);
      if (message.type === 'batch') await sendToParent({ type: 'batch-done', key, ...(await batch(op, ops)) });
      else await sendToParent({ type: 'count-done', key, promises: await countPromises(op, ops) });
    } else if (message.type === 'stop') {
      await variants.close();
      process.exit(0);
    }
  } catch (error) {
    await sendToParent({ type: 'failed', message: String((error as Error)?.stack ?? error) });
    process.exit(1);
  }
}

await main();
