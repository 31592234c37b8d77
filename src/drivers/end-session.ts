import type { DriverConnection } from './driver.js';

/** How often the server's session list is read again while a session is on its way out. */
const POLL_MS = 10;

/**
 * Sends `end` (the engine's kill) on `via`, then reads `listed` until the server no longer lists
 * the session (true) or `deadline`, epoch ms, has passed (false). The server marks a killed
 * session at once but tears it down on the session's own thread, and until then it still holds
 * a slot of the server's limit. A kill of a session already gone is no error. Rejects if `via` fails.
 */
export async function endAndAwaitGone(
  via: DriverConnection,
  end: () => Promise<unknown>,
  listed: () => Promise<boolean>,
  deadline: number,
): Promise<boolean> {
  await end().catch((error: unknown) => {
    // A connection-class failure of `via` itself means nothing was learned.
    if (via.isBroken()) throw error;
  });
  for (;;) {
    if (!(await listed())) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
