/**
 * Synchronous last-chance cleanup for test processes: whatever a test forgot to stop is
 * stopped when the process exits, crashes, or is told to terminate, so no database server
 * or temp dir outlives the process that made it.
 *
 * @module
 */

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

/**
 * Runs `cleanup` synchronously when the process exits (normally, by an uncaught error, or by
 * SIGINT/SIGTERM/SIGHUP). Returns a function that unregisters it, for owners that cleaned up
 * on their own. Cleanups run newest first; one that throws does not stop the others.
 */
export function onProcessExit(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/**
 * Runs `cleanup` when the event loop has drained, while asynchronous work is still possible:
 * a server stopped here is stopped gracefully and reaped, rather than killed from the exit
 * hook. Not called on `process.exit()` or signals; pair it with `onProcessExit`.
 */
export function onLoopDrained(cleanup: () => Promise<void>): void {
  process.once('beforeExit', () => {
    cleanup().catch((error: unknown) => process.stderr.write(`leakproof harness: cleanup failed: ${String(error)}\n`));
  });
}

/** Blocks the thread for `ms`; only for the exit path, where the event loop no longer runs. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function runCleanups(): void {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  for (const cleanup of pending) {
    try {
      cleanup();
    } catch (error) {
      process.stderr.write(`leakproof harness: exit cleanup failed: ${String(error)}\n`);
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const signal of SIGNALS) process.once(signal, () => onSignal(signal));
}

function onSignal(signal: (typeof SIGNALS)[number]): void {
  runCleanups();
  // A listener disables Node's default "die on signal"; re-raise unless someone else
  // (e.g. the test runner script) listens and will decide how to exit.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
