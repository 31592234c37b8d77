/**
 * The property every generated config must keep (issue 12): `createDatabases` either returns
 * a valid `Databases` or throws one `CONFIG_INVALID`, never another exception or a hang, and
 * no message, problem, inspected or serialised view ever holds a secret (the token). A valid
 * one, pointed at a closed port or at a real server, ends in success or a typed error, never
 * a crash (an uncaught exception) or a hang.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ConfigError, createDatabases, LeakproofError, type Databases } from '../../src/index.js';
import { leaks, renderAlias, renderConfig, type GeneratedAlias, type GeneratedConfig, type UrlParts } from './config-arbitraries.js';

/** What the runs found, for the report. */
export interface FuzzTally {
  configs: number;
  valid: number;
  invalid: number;
  connects: number;
  /** Outcome of each connect: `ok`, a leakproof code, or `driver:<name>` for a driver's own statement error. */
  readonly outcomes: Map<string, number>;
}

export function newTally(): FuzzTally {
  return { configs: 0, valid: 0, invalid: 0, connects: 0, outcomes: new Map() };
}

/** Checks one generated config; returns the `Databases` when it was valid (the caller closes it). */
export function checkConfig(config: GeneratedConfig, tally: FuzzTally): Databases | undefined {
  tally.configs++;
  let dbs: Databases;
  try {
    dbs = createDatabases(renderConfig(config) as never);
  } catch (error) {
    assert.ok(error instanceof ConfigError && error.code === 'CONFIG_INVALID', `not CONFIG_INVALID: ${inspect(error)}`);
    for (const view of [error.message, String(error.stack), inspect(error, { depth: 5 }), JSON.stringify(error.problems)]) {
      assert.ok(!leaks(view), `a secret in the error: ${view}`);
    }
    tally.invalid++;
    return undefined;
  }
  tally.valid++;
  for (const alias of dbs.aliases) {
    const options = dbs.options(alias);
    for (const view of [
      inspect(options, { depth: 6 }),
      JSON.stringify(options),
      options.url,
      inspect(dbs, { depth: 4 }),
      JSON.stringify(dbs.stats()),
    ]) {
      assert.ok(!leaks(view), `a secret in options(): ${view}`);
    }
  }
  return dbs;
}

/** Where a valid config is sent: its URL's host, port and credentials replaced, the rest kept. */
export interface ConnectTarget {
  readonly name: string;
  /** The engines it serves: `mysql` or `postgres`. */
  readonly engine: 'mysql' | 'postgres';
  readonly parts: Partial<UrlParts>;
}

/** Options that would flood the output in a connect run; the config check saw them already. */
const NOISY = ['debug', 'trace', 'verbose', 'logger', 'logPackets', 'logParam'];

/**
 * Connects the `default` alias of a valid config to `target` and runs one statement: it must
 * end (within `deadlineMs`) in rows, a LeakproofError, or a driver's own statement error.
 * Returns false when the config is not for that engine (nothing to try).
 */
export async function connectConfig(
  config: GeneratedConfig,
  target: ConnectTarget,
  tally: FuzzTally,
  deadlineMs = 15_000,
): Promise<boolean> {
  const entry = config.aliases.find(([name]) => name === 'default');
  if (entry === undefined || config.raw !== undefined) return false;
  const alias: GeneratedAlias = entry[1];
  const scheme = alias.url.scheme.toLowerCase();
  const engine =
    scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : undefined;
  if (engine !== target.engine) return false;
  let driver: Record<string, unknown> | undefined;
  try {
    driver =
      alias.driver === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(alias.driver).filter(
              ([key]) => !NOISY.includes(key) && !['host', 'port', 'user', 'password', 'database', 'socketPath'].includes(key),
            ),
          );
  } catch {
    return false; // a hostile object: the config check covered it, there is nothing to connect
  }
  const bounded = { ...alias, driver, options: { ...alias.options, connectTimeout: 2000, acquireTimeout: 3000, maxConnections: 2 } };
  let dbs: Databases;
  try {
    dbs = createDatabases({ default: renderAlias(bounded, target.parts) as never });
  } catch (error) {
    // Re-pointing or bounding it made it invalid (a relation such as idleTimeout ≤ maxLifetime): nothing to connect.
    assert.ok(error instanceof ConfigError, inspect(error));
    return false;
  }
  tally.connects++;
  try {
    const outcome = await withDeadline(dbs.get().query('SELECT 1 AS one'), deadlineMs);
    count(tally, outcome);
  } finally {
    await withDeadline(
      dbs.close({ gracePeriod: 1000 }).then(() => 'closed'),
      deadlineMs,
    );
  }
  return true;
}

function count(tally: FuzzTally, outcome: unknown): void {
  const key = outcome instanceof LeakproofError ? outcome.code : outcome instanceof Error ? `driver:${outcome.name}` : 'ok';
  assert.ok(
    !(outcome instanceof Error) ||
      outcome instanceof LeakproofError ||
      /^(Error|QueryError|SqlError|DatabaseError|TypeError)$/.test(outcome.name),
    `an unexpected kind of error: ${inspect(outcome)}`,
  );
  assert.ok(
    !leaks(outcome instanceof Error ? `${outcome.message}${inspect(outcome, { depth: 4 })}` : ''),
    `a secret in a connect error: ${inspect(outcome)}`,
  );
  tally.outcomes.set(key, (tally.outcomes.get(key) ?? 0) + 1);
}

/** The promise's value or rejection; an AssertionError if it has not settled by `ms`. */
async function withDeadline(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `hung for ${ms} ms` })), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => value,
        (error: unknown) => error,
      ),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
