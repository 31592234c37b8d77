/**
 * The load of a mixed soak, seeded so a failing run can be replayed: most requests are ordinary,
 * the rest leave mid-query, throw, are cut mid-stream, or run a transaction that commits, rolls
 * back, or whose client leaves inside it. Every client is a raw socket, so nothing is retried or
 * tidied up for us, and every request is bounded in time.
 *
 * @module
 */
import { connect } from 'node:net';
import type { SoakOutcome } from './soak-app.js';

/** Shares of the request kinds, in per cent of all requests. */
export const SOAK_MIX = { ordinary: 60, leaveMidQuery: 15, throws: 5, streamCut: 5, transaction: 15 } as const;

export interface SoakLoadOptions {
  readonly port: number;
  readonly requests: number;
  readonly concurrency: number;
  readonly seed: number;
  /** Called after every `every` requests (e.g. to sample the heap); the load waits for it. */
  readonly every?: number;
  readonly onProgress?: (done: number) => Promise<void>;
}

/** What the clients saw. `committed` counts transactions answered 200, whose rows must all be there. */
export interface SoakTally {
  requests: number;
  ok: number;
  serverErrors: number;
  unavailable: number;
  left: number;
  /** Requests that got no complete answer (neither a status nor a planned hang-up) within the bound. */
  stuck: number;
  committed: number;
  byKind: Record<string, number>;
}

const REQUEST_BOUND_MS = 15_000;

/** mulberry32: a tiny seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Planned {
  readonly kind: string;
  readonly path: string;
  /** Hang up this many ms after writing the request, or after this many body bytes. */
  readonly leaveAfterMs?: number;
  readonly leaveAfterBytes?: number;
}

function plan(random: () => number, n: number): Planned {
  let roll = random() * 100;
  if ((roll -= SOAK_MIX.ordinary) < 0) return { kind: 'ordinary', path: `/item?id=${n}` };
  if ((roll -= SOAK_MIX.leaveMidQuery) < 0)
    return { kind: 'leave-mid-query', path: '/slow', leaveAfterMs: 20 + Math.floor(random() * 100) };
  if ((roll -= SOAK_MIX.throws) < 0) return { kind: 'throw', path: '/throw' };
  if ((roll -= SOAK_MIX.streamCut) < 0) return { kind: 'stream-cut', path: '/stream', leaveAfterBytes: 1 + Math.floor(random() * 2000) };
  const t = random();
  const outcome: SoakOutcome = t < 0.5 ? 'commit' : t < 0.8 ? 'rollback' : 'abort';
  return {
    kind: `tx-${outcome}`,
    path: `/tx?outcome=${outcome}&tag=${n}`,
    ...(outcome === 'abort' ? { leaveAfterMs: 60 + Math.floor(random() * 100) } : {}),
  };
}

export async function runSoakLoad(options: SoakLoadOptions): Promise<SoakTally> {
  const random = seededRandom(options.seed);
  const tally: SoakTally = { requests: 0, ok: 0, serverErrors: 0, unavailable: 0, left: 0, stuck: 0, committed: 0, byKind: {} };
  let next = 0;
  let checkpoint: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (next < options.requests) {
      const n = next++;
      const planned = plan(random, n);
      tally.byKind[planned.kind] = (tally.byKind[planned.kind] ?? 0) + 1;
      record(tally, planned, await send(options.port, planned));
      if (options.every !== undefined && (n + 1) % options.every === 0) checkpoint = options.onProgress?.(n + 1);
      if (checkpoint !== undefined) await checkpoint;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return tally;
}

function record(tally: SoakTally, planned: Planned, status: number | 'left' | 'stuck'): void {
  tally.requests++;
  if (status === 'left') tally.left++;
  else if (status === 'stuck') tally.stuck++;
  else if (status === 200) {
    tally.ok++;
    if (planned.kind === 'tx-commit') tally.committed++;
  } else if (status === 503) tally.unavailable++;
  else tally.serverErrors++;
}

/** One request on a fresh socket: its status, `left` when the client hung up as planned, `stuck` past the bound. */
function send(port: number, planned: Planned): Promise<number | 'left' | 'stuck'> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    let bytes = 0;
    let settled = false;
    const done = (outcome: number | 'left' | 'stuck'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      socket.destroy();
      resolve(outcome);
    };
    const bound = setTimeout(() => done('stuck'), REQUEST_BOUND_MS);
    socket.on('connect', () => {
      socket.write(`GET ${planned.path} HTTP/1.1\r\nhost: soak\r\nconnection: close\r\n\r\n`);
      if (planned.leaveAfterMs !== undefined) setTimeout(() => done('left'), planned.leaveAfterMs);
    });
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (received.length < 16) received += chunk.toString('latin1');
      if (planned.leaveAfterBytes !== undefined && bytes >= planned.leaveAfterBytes) done('left');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      done(status === undefined ? 'stuck' : Number(status));
    });
  });
}
