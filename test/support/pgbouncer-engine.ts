/**
 * The engine context of `forEachEngine(..., ['postgres-pgbouncer'], ...)`: a dedicated
 * PostgreSQL with a PgBouncer in transaction mode in front, and leakproof told so
 * (`pooler: 'transaction'`). Counting as each side sees it: `count()` is PgBouncer's clients
 * of the app (the connections leakproof holds), while `connections()` and `statementRunning()`
 * read the server's own sessions, where the statements run.
 */
import { after, afterEach, before, describe } from 'node:test';
import { listConnections } from '../harness/count-connections.js';
import { killConnection } from '../harness/faults.js';
import { pgbouncerMissing, startPgbouncer, type Pgbouncer } from '../harness/pgbouncer.js';
import { engineTargets } from '../harness/shared-server.js';
import type { TestServer } from '../harness/test-server.js';
import { closeTracked } from './cleanup.js';
import { DIALECTS } from './dialect.js';
import type { EngineContext } from './engines.js';

/** Sessions PgBouncer may open to the server per user and database. */
export const PGBOUNCER_POOL_SIZE = 5;

export function describeBehindPgbouncer(
  title: string,
  body: (engine: () => EngineContext) => void,
  contextOf: (server: TestServer, bouncer: Pgbouncer) => EngineContext,
): void {
  const [target] = engineTargets(['postgres']);
  const missing = pgbouncerMissing();
  const skip =
    target!.skip !== false ? target!.skip : missing !== undefined && process.env['LEAKPROOF_REQUIRE_DB'] !== '1' ? missing : false;
  describe(`${title} [postgres behind pgbouncer]`, { skip }, () => {
    let server: TestServer | undefined;
    let bouncer: Pgbouncer | undefined;
    let context: EngineContext | undefined;
    before(async () => {
      if (missing !== undefined) throw new Error(`LEAKPROOF_REQUIRE_DB=1 but ${missing} is not installed`);
      server = await target!.start({ maxConnections: 40 });
      bouncer = await startPgbouncer(server, { poolMode: 'transaction', poolSize: PGBOUNCER_POOL_SIZE });
      context = contextOf(server, bouncer);
    });
    after(async () => {
      await bouncer?.stop();
      await server?.stop();
    });
    afterEach(closeTracked);
    body(() => context ?? fail());
  });
}

/** The context's parts that differ from a direct server: the URL, the pooler option and the counts. */
export function pgbouncerParts(
  server: TestServer,
  bouncer: Pgbouncer,
): Pick<EngineContext, 'name' | 'dialect' | 'url' | 'aliasOptions' | 'count' | 'connections' | 'kill'> {
  return {
    name: 'postgres',
    dialect: DIALECTS.postgres,
    url: bouncer.url,
    aliasOptions: { pooler: 'transaction' },
    count: () => bouncer.clients(),
    connections: () => listConnections(server),
    kill: async (serverId) => void (await killConnection(server, serverId)),
  };
}

function fail(): never {
  throw new Error("PostgreSQL behind PgBouncer was not set up (see the before hook's error)");
}
