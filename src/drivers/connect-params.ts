import type { ConnectionSettings } from './driver.js';

/** Drops keys whose value is `undefined`, so they do not override a package's own defaults. */
export function definedOnly(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/**
 * A copy of `settings` with some fields changed. A spread alone would drop the password, which
 * is a non-enumerable property so that it never shows up in logs.
 */
export function withSettings(settings: ConnectionSettings, changes: Partial<ConnectionSettings>): ConnectionSettings {
  const copy = { ...settings, ...changes };
  Object.defineProperty(copy, 'password', { value: changes.password ?? settings.password, enumerable: false });
  return Object.freeze(copy);
}
