/**
 * Reads a count (the server's own session count) every 100 ms until stopped and keeps the
 * highest value seen: what a budget assertion needs when it must hold all the way through.
 */
export function sampleCount(count: () => Promise<number>, everyMs = 100): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await count());
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}
