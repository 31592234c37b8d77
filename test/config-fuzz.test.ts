/**
 * Property-based fuzz of createDatabases (fast-check, seeded): generated configs and URLs of
 * every shape (wrong types, huge/negative/NaN numbers, unknown options, malformed and
 * percent-encoded URLs, unicode, objects whose reading throws) end in a valid Databases or
 * one CONFIG_INVALID, never another exception, a hang or a secret in a message; a sample of
 * the valid ones connects to a closed port and to the real servers and ends in rows or a
 * typed error, never a crash. `scripts/fuzz-config.ts` runs the same property at 100,000+.
 *
 * LEAKPROOF_FUZZ_SEED / LEAKPROOF_FUZZ_RUNS change the seed and the count.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, it } from 'node:test';
import { engineTargets } from './harness/shared-server.js';
import type { TestServer } from './harness/test-server.js';
import { generatedConfig, renderUrl, TOKEN } from './support/config-arbitraries.js';
import { checkConfig, connectConfig, newTally, type ConnectTarget } from './support/config-property.js';

const SEED = Number(process.env['LEAKPROOF_FUZZ_SEED'] ?? 20_261_202);
const RUNS = Number(process.env['LEAKPROOF_FUZZ_RUNS'] ?? 5000);
const CONNECT_RUNS = 150;

const crashes: unknown[] = [];
const onCrash = (error: unknown): void => void crashes.push(error);
before(() => process.on('uncaughtException', onCrash));
after(() => process.off('uncaughtException', onCrash));

describe('config fuzz', () => {
  it(`${RUNS} generated configs: a valid Databases or one CONFIG_INVALID, no secret anywhere`, async () => {
    const tally = newTally();
    const opened: { close(): Promise<void> }[] = [];
    fc.assert(
      fc.property(generatedConfig, (config) => {
        const dbs = checkConfig(config, tally);
        if (dbs !== undefined) opened.push(dbs);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    await Promise.all(opened.map((dbs) => dbs.close()));
    // Both sides must be reached, or the property says nothing.
    assert.ok(tally.valid > RUNS / 50 && tally.invalid > RUNS / 2, `valid ${tally.valid}, invalid ${tally.invalid}`);
  });

  it('the token the leak check searches for is really in the generated secrets', () => {
    const urls = fc
      .sample(generatedConfig, { seed: SEED, numRuns: 500 })
      .flatMap((config) => config.aliases.map(([, alias]) => renderUrl(alias.url)));
    const withSecret = urls.filter((url) => url.includes(TOKEN) || url.includes(encodeURIComponent(TOKEN)));
    assert.ok(withSecret.length > 150, `only ${withSecret.length} of ${urls.length} generated URLs carry a secret`);
  });

  const targets = engineTargets();
  const servers = new Map<string, TestServer>();
  before(async () => {
    for (const target of targets) if (target.skip === false) servers.set(target.engine, await target.server());
  });

  it(`${CONNECT_RUNS} valid configs per target connect to a closed port and to the real servers: rows or a typed error, never a crash or a hang`, async () => {
    const connectTargets: ConnectTarget[] = [
      { name: 'closed port (mysql)', engine: 'mysql', parts: { host: '127.0.0.1', port: '1' } },
      { name: 'closed port (postgres)', engine: 'postgres', parts: { host: '127.0.0.1', port: '1' } },
    ];
    for (const [engine, server] of servers) {
      connectTargets.push({
        name: `${engine} server`,
        engine: engine === 'mariadb' ? 'mysql' : 'postgres',
        parts: {
          host: server.host,
          port: String(server.port),
          user: server.user,
          password: server.password,
          database: server.database,
          encode: true,
        },
      });
    }
    const tally = newTally();
    const valid = fc.sample(generatedConfig, { seed: SEED + 1, numRuns: 40_000 }).filter((config) => {
      const dbs = checkConfig(config, tally);
      void dbs?.close();
      return dbs !== undefined;
    });
    for (const target of connectTargets) {
      let tried = 0;
      for (const config of valid) {
        if (tried >= CONNECT_RUNS) break;
        if (await connectConfig(config, target, tally)) tried++;
      }
      assert.ok(tried >= 20, `only ${tried} valid configs for ${target.name}`);
    }
    assert.deepEqual(crashes, [], 'a driver threw where nothing could catch it');
    const outcomes = Object.fromEntries(tally.outcomes);
    // The real servers answered at least some of them: the sample is not all rejected up front.
    if (servers.size > 0) assert.ok((outcomes['ok'] ?? 0) > 0, JSON.stringify(outcomes));
    process.stdout.write(`# fuzz connects: ${tally.connects}, outcomes ${JSON.stringify(outcomes)}\n`);
  });
});
