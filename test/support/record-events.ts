import type { Databases } from '../../src/index.js';
import { CHANNELS, subscribe, type EventKind, type EventMap } from '../../src/instrumentation/channels.js';
import { trackForCleanup } from './cleanup.js';

export interface RecordedEvents {
  /** Every event of `dbs` so far, in order. */
  readonly all: { readonly kind: EventKind; readonly event: EventMap[EventKind] }[];
  /** The events of one kind so far. */
  of<K extends EventKind>(kind: K): EventMap[K][];
  stop(): void;
}

/**
 * Subscribes to every channel and keeps the events of `dbs` only (other tests' pools publish on
 * the same channels); unsubscribed after the test whatever its outcome.
 */
export function recordEvents(dbs: Databases): RecordedEvents {
  const all: RecordedEvents['all'] = [];
  const stops = (Object.keys(CHANNELS) as EventKind[]).map((kind) =>
    subscribe(kind, (event) => {
      if (event.databases === dbs) all.push({ kind, event });
    }),
  );
  const stop = (): void => {
    for (const unsubscribe of stops.splice(0)) unsubscribe();
  };
  trackForCleanup(async () => stop());
  return {
    all,
    of: <K extends EventKind>(kind: K) => all.filter((entry) => entry.kind === kind).map((entry) => entry.event as EventMap[K]),
    stop,
  };
}
