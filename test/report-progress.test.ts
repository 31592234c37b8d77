import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createProgress } from '../src/cli/progress.js';
import type { ProbeProgress } from '../src/probe/probe-result.js';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean, columns = 120): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = { isTTY, columns, write: (chunk: string) => writes.push(chunk) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

/** A hand-moved clock, so throttling is tested without waiting. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 0;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

function progress(overrides: Partial<ProbeProgress> = {}): ProbeProgress {
  return {
    phase: 'load',
    round: 0,
    rounds: 3,
    elapsedMs: 1200,
    done: 300,
    total: 1200,
    inFlight: 40,
    connections: 21,
    ok: 240,
    errors: 1,
    disconnects: 59,
    ...overrides,
  };
}

describe('createProgress on a TTY', () => {
  it('redraws one line in place with a bar, in-flight, DB count, outcomes and phase', () => {
    const { stream, writes } = fakeStream(true);
    const bar = createProgress(stream);
    bar.update(progress());
    bar.done();
    assert.equal(writes.length, 2);
    const line = writes[0] ?? '';
    assert.ok(line.startsWith('\r\x1b[K'), 'returns to the line start and clears it');
    assert.ok(!line.includes('\n'), 'one line, never a new one');
    assert.match(line, /round 1\/3 load █{5}░{15} {2}25% 300\/1,200/);
    assert.match(line, /40 in flight · DB 21 · ok 240 err 1 disc 59 · 1\.2 s/);
    assert.equal(writes[1], '\r\x1b[K', 'done() erases the line');
  });

  it('draws at most ~10 times a second', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const bar = createProgress(stream, { now: clock.now });
    for (let i = 0; i < 200; i++) {
      bar.update(progress({ done: i }));
      clock.advance(10);
    }
    bar.done();
    // 2 s of updates every 10 ms: one draw per 100 ms, plus the final erase.
    assert.equal(writes.length - 1, 20);
  });

  it('draws the newest state once the interval is up, so the line never lags', async () => {
    const { stream, writes } = fakeStream(true);
    const bar = createProgress(stream, { ttyIntervalMs: 30 });
    bar.update(progress({ done: 1 }));
    bar.update(progress({ done: 2 }));
    bar.update(progress({ done: 3 }));
    assert.equal(writes.length, 1);
    await sleep(80);
    assert.equal(writes.length, 2);
    assert.match(writes[1] ?? '', / 3\/1,200/);
    bar.done();
  });

  it('draws a phase change at once, without a bar outside the load', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const bar = createProgress(stream, { now: clock.now });
    bar.update(progress());
    bar.update(progress({ phase: 'pause', inFlight: 0 }));
    bar.update(progress({ phase: 'settle', inFlight: 0, connections: 2 }));
    assert.equal(writes.length, 3);
    assert.ok(writes[1]?.startsWith('\r\x1b[Kround 1/3 pause · 0 in flight'), writes[1]);
    assert.ok(writes[2]?.startsWith('\r\x1b[Ksettle · 0 in flight · DB 2'), writes[2]);
    bar.done();
  });

  it('counts instead of a bar when a round runs for a duration, and fits the terminal', () => {
    const { stream, writes } = fakeStream(true, 40);
    const bar = createProgress(stream);
    bar.update(progress({ total: undefined }));
    bar.done();
    assert.match(writes[0] ?? '', /round 1\/3 load 300 done/);
    assert.ok((writes[0] ?? '').length - '\r\x1b[K'.length <= 39);
  });

  it('writes nothing on done() when nothing was drawn', () => {
    const { stream, writes } = fakeStream(true);
    createProgress(stream).done();
    assert.deepEqual(writes, []);
  });
});

describe('createProgress when not a TTY', () => {
  it('prints plain lines at most once a second', () => {
    const { stream, writes } = fakeStream(false);
    const clock = fakeClock();
    const lines = createProgress(stream, { now: clock.now });
    for (let i = 0; i < 300; i++) {
      lines.update(progress({ done: i, elapsedMs: i * 10 }));
      clock.advance(10);
    }
    assert.equal(writes.length, 3, '3 s of updates, one line a second');
    for (const line of writes) {
      assert.ok(line.endsWith('\n') && !line.includes('\r') && !line.includes('\x1b'), 'plain text lines');
    }
    assert.match(
      writes[0] ?? '',
      /^\[\s+0\.0 s\] round 1\/3 load: 0\/1,200 done, 40 in flight, 21 DB connections, ok 240, errors 1, disconnects 59\n$/,
    );
  });

  it('prints one line per phase change, and the final state on done()', () => {
    const { stream, writes } = fakeStream(false);
    const clock = fakeClock();
    const lines = createProgress(stream, { now: clock.now });
    lines.update(progress({ phase: 'baseline', done: 0 }));
    lines.update(progress({ phase: 'load' }));
    lines.update(progress({ phase: 'load', done: 301 }));
    lines.update(progress({ phase: 'pause' }));
    lines.update(progress({ phase: 'load', round: 1 }));
    lines.update(progress({ phase: 'settle', round: 2, connections: 2, ok: 999 }));
    lines.update(progress({ phase: 'settle', round: 2, connections: 2, ok: 1000 }));
    lines.done();
    assert.deepEqual(
      writes.map((line) => line.match(/\] ([^:]+):/)?.[1]),
      ['baseline', 'round 1/3 load', 'round 1/3 pause', 'round 2/3 load', 'settle', 'settle'],
    );
    assert.match(writes.at(-1) ?? '', /ok 1,000/);
  });
});
