import { setTimeout as delay } from 'node:timers/promises';
import { currentScope } from '../../src/index.js';
import type { Polls } from './poll-store.js';

/** The slow endpoint: this many result lines, this far apart. */
export const SLOW_STEPS = 6;
export const SLOW_STEP_MS = 25;

/**
 * The results of question `id` as NDJSON lines, one query each, `SLOW_STEP_MS` apart: slow on
 * purpose, so a client can leave mid-stream. Iterate it inside the request (its queries use the
 * request's connection); it stops when the client leaves.
 */
export async function* slowResults(store: Pick<Polls, 'choices'>, id: number): AsyncGenerator<string> {
  const signal = currentScope()?.signal;
  for (let step = 1; step <= SLOW_STEPS; step++) {
    yield `${JSON.stringify({ step, choices: await store.choices(id) })}\n`;
    if (step < SLOW_STEPS) await delay(SLOW_STEP_MS, undefined, { signal });
  }
}
