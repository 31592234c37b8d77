/** How long a side channel (cancel, graceful close) may take before it is given up on. */
export const SIDE_CHANNEL_TIMEOUT_MS = 2000;

/**
 * Waits for `work` for at most `ms`. Never rejects: cancel and close are best effort, and the
 * pool must go on whatever happens to them. The timer is unref'd so it never holds the process.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<'settled' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, ms, 'timeout');
    timer.unref();
  });
  const settled = work.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends the protocol's quit and waits for it, but destroys the socket if that fails or stalls. */
export async function closeGracefully(quit: () => Promise<unknown>, destroy: () => void): Promise<void> {
  let failed = false;
  const work = quit().catch(() => {
    failed = true;
  });
  const outcome = await settleWithin(work, SIDE_CHANNEL_TIMEOUT_MS);
  if (outcome === 'timeout' || failed) destroy();
}
