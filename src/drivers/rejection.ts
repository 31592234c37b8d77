/**
 * A synchronous throw from a driver call, as the rejected promise callers expect. Drivers
 * throw `Error`s; anything else is wrapped so rejections are always errors.
 */
export function rejection<T>(error: unknown): Promise<T> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}
