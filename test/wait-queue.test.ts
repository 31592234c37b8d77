/**
 * The wait queue's one shared timer: every waiter times out, in FIFO order and never before
 * its own deadline; withdrawn and served waiters never do. (The pool's ACQUIRE_TIMEOUT on a
 * real server is in budget.test.ts; this pins the queue's own bookkeeping.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Waiter, WaitQueue } from '../src/core/wait-queue.js';
import { delay, eventually } from './support/serve.js';

function recordingQueue(timeoutMs: number): { queue: WaitQueue<string>; timedOut: Array<{ waiter: Waiter<string>; at: number }> } {
  const timedOut: Array<{ waiter: Waiter<string>; at: number }> = [];
  const queue = new WaitQueue<string>(timeoutMs, (waiter) => {
    timedOut.push({ waiter, at: Date.now() });
    waiter.reject(new Error('timed out'));
  });
  return { queue, timedOut };
}

function waiter(): Waiter<string> {
  const w = new Waiter<string>();
  w.promise.catch(() => undefined);
  return w;
}

describe('WaitQueue', () => {
  it('times every waiter out in arrival order, none before its deadline, and removes it first', async () => {
    const { queue, timedOut } = recordingQueue(60);
    const waiters = [waiter(), waiter(), waiter()];
    for (const w of waiters) {
      queue.push(w);
      await delay(15);
    }
    assert.ok(await eventually(() => timedOut.length === 3, 2000), `timed out ${timedOut.length} of 3`);
    assert.deepEqual(
      timedOut.map((t) => t.waiter),
      waiters,
    );
    for (const { waiter: w, at } of timedOut) assert.ok(at >= w.deadline, `timed out ${w.deadline - at} ms early`);
    assert.equal(queue.size, 0);
  });

  it('a withdrawn or served waiter never times out; the others still do', async () => {
    const { queue, timedOut } = recordingQueue(40);
    const [withdrawn, served, left] = [waiter(), waiter(), waiter()];
    queue.push(withdrawn);
    queue.push(served);
    queue.push(left);
    queue.remove(withdrawn);
    assert.equal(queue.shift(), served);
    served.resolve('connection');
    assert.ok(await eventually(() => timedOut.length === 1, 2000));
    assert.equal(timedOut[0]!.waiter, left);
    await delay(80);
    assert.equal(timedOut.length, 1);
  });

  it('a waiter put back at the head keeps its deadline and goes first', async () => {
    const { queue, timedOut } = recordingQueue(50);
    const [first, second] = [waiter(), waiter()];
    queue.push(first);
    await delay(10);
    queue.push(second);
    assert.equal(queue.shift(), first);
    const deadline = first.deadline;
    queue.unshift(first);
    assert.equal(first.deadline, deadline);
    assert.ok(await eventually(() => timedOut.length === 2, 2000));
    assert.deepEqual(
      timedOut.map((t) => t.waiter),
      [first, second],
    );
  });

  it('drain hands back the waiters still waiting and no timeout fires afterwards', async () => {
    const { queue, timedOut } = recordingQueue(30);
    const waiters = [waiter(), waiter()];
    for (const w of waiters) queue.push(w);
    assert.deepEqual(queue.drain(), waiters);
    await delay(80);
    assert.equal(timedOut.length, 0);
    assert.equal(queue.size, 0);
  });
});

describe('a waiting acquire and the process lifetime', () => {
  it('a script whose only work left is waiting for a connection gets ACQUIRE_TIMEOUT instead of exiting mid-wait', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-wait-'));
    try {
      const script = join(dir, 'wait.mts');
      const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
      // The holder keeps the only connection while it waits on an unref'd timer: nothing else
      // keeps the process alive, so only the acquire timer can.
      writeFileSync(
        script,
        [
          `import { createDatabases } from ${JSON.stringify(index)};`,
          `const dbs = createDatabases({ default: { url: 'sqlite::memory:', maxConnections: 1, acquireTimeout: 300 } });`,
          'const db = dbs.get();',
          `void dbs.run(async () => { await db.query('SELECT 1'); await new Promise((resolve) => setTimeout(resolve, 10_000).unref()); });`,
          `const outcome = await dbs.run(() => db.query('SELECT 2')).then(() => 'served', (error: { code?: string }) => error.code);`,
          `console.log('outcome=' + String(outcome));`,
          'process.exit(0);',
        ].join('\n'),
      );
      const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(child.status, 0, `exit ${child.status}: ${child.stderr}`);
      assert.match(child.stdout, /outcome=ACQUIRE_TIMEOUT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
