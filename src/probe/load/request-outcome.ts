/**
 * How one probe request ended, as the load engine reports it.
 *
 * @module
 */
import type { DisconnectShape } from '../probe-result.js';

/** What kind of request to send: a normal one, or one that disconnects in a given shape. */
export type RequestKind = 'normal' | DisconnectShape;

export type RequestOutcome =
  /** A complete response (any status). */
  | { readonly kind: 'response'; readonly status: number; readonly refusal: boolean; readonly latencyMs: number }
  /** The probe cut the request off before it completed, as planned. */
  | { readonly kind: 'disconnect'; readonly shape: DisconnectShape }
  /** A transport error or the per-request timeout (`TIMEOUT`). */
  | { readonly kind: 'error'; readonly code: string; readonly refusal: boolean };

/** The code to report for a transport error: its `code`, else its name. */
export function errorCode(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : 'ERROR';
}

/** The message of an error, for refusal detection. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.message} ${errorText(error.cause)}`;
  return typeof error === 'string' ? error : '';
}
