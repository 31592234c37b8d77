/**
 * One settled promise shared by the hot path. Functions that usually finish synchronously
 * return it, and callers skip awaiting it (`if (p !== RESOLVED) await p`): on Node 20 every
 * promise and every `await` also runs AsyncLocalStorage's async hook, which is most of what a
 * request scope costs.
 *
 * @module
 */
export const RESOLVED: Promise<void> = Promise.resolve();
