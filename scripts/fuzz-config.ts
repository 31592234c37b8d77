/**
 * The long run of the config fuzz (issue 12): `LEAKPROOF_FUZZ_RUNS` (default 100,000) generated
 * configs through createDatabases, then `LEAKPROOF_FUZZ_CONNECTS` (default 500) valid ones per
 * target connected to a closed port and to throwaway MariaDB and PostgreSQL servers. Prints the
 * tally; exits 1 on the first violation (with fast-check's counterexample and seed).
 *
 *   node --import tsx scripts/fuzz-config.ts
 *   LEAKPROOF_FUZZ_RUNS=200000 LEAKPROOF_FUZZ_SEED=7 node --import tsx scripts/fuzz-config.ts
 *
 * The seeded CI version is test/config-fuzz.test.ts.
 *
 * @module
 */
import fc from 'fast-check';
import { startServer } from '../test/harness/start-server.js';
import type { TestServer } from '../test/harness/test-server.js';
import { generatedConfig } from '../test/support/config-arbitraries.js';
import { checkConfig, connectConfig, newTally, type ConnectTarget } from '../test/support/config-property.js';

const RUNS = Number(process.env['LEAKPROOF_FUZZ_RUNS'] ?? 100_000);
const CONNECTS = Number(process.env['LEAKPROOF_FUZZ_CONNECTS'] ?? 500);
const SEED = Number(process.env['LEAKPROOF_FUZZ_SEED'] ?? Date.now() % 1_000_000);

async function main(): Promise<number> {
  const crashes: unknown[] = [];
  process.on('uncaughtException', (error) => void crashes.push(error));
  const tally = newTally();
  const started = Date.now();
  const valid: Parameters<typeof checkConfig>[0][] = [];
  fc.assert(
    fc.property(generatedConfig, (config) => {
      const dbs = checkConfig(config, tally);
      if (dbs === undefined) return;
      void dbs.close();
      if (valid.length < 50_000) valid.push(config);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  console.log(
    `configs: ${tally.configs} (valid ${tally.valid}, CONFIG_INVALID ${tally.invalid}) in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}: no other exception, no secret in any message or view`,
  );

  const servers: TestServer[] = await Promise.all([startServer('mariadb'), startServer('postgres')]);
  try {
    const targets: ConnectTarget[] = [
      { name: 'closed port (mysql)', engine: 'mysql', parts: { host: '127.0.0.1', port: '1' } },
      { name: 'closed port (postgres)', engine: 'postgres', parts: { host: '127.0.0.1', port: '1' } },
      ...servers.map((server): ConnectTarget => ({
        name: `${server.engine} server`,
        engine: server.engine === 'mariadb' ? 'mysql' : 'postgres',
        parts: {
          host: server.host,
          port: String(server.port),
          user: server.user,
          password: server.password,
          database: server.database,
          encode: true,
        },
      })),
    ];
    for (const target of targets) {
      let tried = 0;
      for (const config of valid) {
        if (tried >= CONNECTS) break;
        if (await connectConfig(config, target, tally)) tried++;
      }
      console.log(`${target.name}: ${tried} valid configs connected`);
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
  console.log(`connects: ${tally.connects}, outcomes ${JSON.stringify(Object.fromEntries(tally.outcomes))}`);
  console.log(`uncaught exceptions: ${crashes.length}`);
  for (const crash of crashes.slice(0, 5)) console.log(crash);
  return crashes.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
