import { detached } from '../drivers/detached.js';

/** What `withDeadline` rejects with when the time is up; callers turn it into their own typed error. */
export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * `work`, or a rejection with DeadlineExceeded after `ms`. A value that arrives too late is
 * handed to `onLate` (to close a connection nobody will use). The timer is unref'd and made in
 * leakproof's own async context, so it holds neither the process nor the caller's request.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onLate?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = detached(() =>
      setTimeout(() => {
        late = true;
        reject(new DeadlineExceeded(ms));
      }, ms),
    );
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        if (late) onLate?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!late) reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
