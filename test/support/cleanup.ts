/**
 * Resources a test opened, closed after it whether it passed or failed, so one failing
 * assertion never leaves a server listening or connections open for the next test to count.
 */
const open: (() => Promise<void>)[] = [];

export function trackForCleanup(close: () => Promise<void>): void {
  open.push(close);
}

/** Closes everything tracked, newest first (servers before the pools they use). */
export async function closeTracked(): Promise<void> {
  for (let close = open.pop(); close !== undefined; close = open.pop()) {
    await close().catch(() => undefined);
  }
}
