/**
 * One definition of "the app's sessions" per engine (src/drivers/<engine>/sessions.ts), read on
 * the real servers: the reader's own session left out, each session's identity and activity
 * (idle age, in a transaction, the statement's first keyword and never its text), the filter,
 * and MariaDB's `Killed` sessions kept as `killed`.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MysqlSessionReader } from '../src/drivers/mysql/sessions.js';
import { readPostgresSessions } from '../src/drivers/postgres/sessions.js';
import type { QueryRows, SessionFilter, SessionReading, SessionRow } from '../src/drivers/server-session.js';
import { adminQuery } from './harness/admin-client.js';
import { engineTargets } from './harness/shared-server.js';
import type { TestServer } from './harness/test-server.js';
import { eventually } from './support/serve.js';

/** A statement whose text must never come back: only its first keyword may. */
const SECRET_LITERAL = 'sessions-secret-literal-91';

interface Client {
  query(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

async function connect(url: string): Promise<Client> {
  if (url.startsWith('mysql')) {
    const connection = await mysql.createConnection({ uri: url });
    connection.on('error', () => undefined);
    return { query: (sql) => connection.query(sql), close: () => connection.end().catch(() => connection.destroy()) };
  }
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return { query: (sql) => client.query(sql), close: () => client.end().catch(() => undefined) };
}

/** Reads the sessions as the probe's sampler does, over a connection of `url`'s user. */
async function reader(
  server: TestServer,
  url: string,
): Promise<{ read(filter: SessionFilter): Promise<SessionReading>; close(): Promise<void> }> {
  if (server.engine === 'mariadb') {
    const connection = await mysql.createConnection({ uri: url });
    const query: QueryRows = async (sql, params) => (await connection.query(sql, [...params]))[0] as Record<string, unknown>[];
    const sessions = new MysqlSessionReader(query);
    return { read: (filter) => sessions.read(filter), close: () => connection.end() };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const query: QueryRows = async (sql, params) => (await client.query(sql, [...params])).rows as Record<string, unknown>[];
  return { read: (filter) => readPostgresSessions(query, filter), close: () => client.end() };
}

for (const target of engineTargets()) {
  describe(`server sessions [${target.engine}]`, { skip: target.skip }, () => {
    let server: TestServer;
    const clients: Client[] = [];
    before(async () => (server = await target.server()));
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    });
    after(() => undefined);

    it("lists each of the app user's sessions with who and what, never its own", async () => {
      const view = await reader(server, server.url);
      try {
        assert.deepEqual((await view.read({ user: server.user })).sessions, [], 'the reader listed its own session');
        for (let i = 0; i < 3; i++) clients.push(await connect(server.url));
        await delay(60);
        const { sessions, serverNow } = await view.read({ user: server.user, database: server.database });
        assert.equal(sessions.length, 3);
        for (const session of sessions) {
          assert.equal(session.user, server.user);
          assert.equal(session.database, server.database);
          assert.equal(session.state, 'idle');
          assert.match(session.host, /^127\.0\.0\.1:\d+$/);
          assert.ok(session.idleMs !== undefined && session.idleMs >= 0, `idle ${session.idleMs}`);
          assert.ok(Math.abs(serverNow - session.idleMs - session.lastActiveAt) < 2, 'lastActiveAt is serverNow less the idle time');
          if (server.engine === 'postgres') assert.ok(session.openedAt !== undefined && session.openedAt <= serverNow);
        }
        assert.equal(new Set(sessions.map((session) => session.key)).size, 3);
        assert.deepEqual((await view.read({ user: server.user, host: '10.99.99.99' })).sessions, []);
        assert.deepEqual((await view.read({ user: server.user, database: 'no_such_db' })).sessions, []);
      } finally {
        await view.close();
      }
    });

    it('shows a running statement by its first keyword only, and a transaction left open', async () => {
      // The admin sees transactions on MariaDB (INNODB_TRX needs PROCESS).
      const view = await reader(server, server.adminUrl);
      const running = await connect(server.url);
      const inTx = await connect(server.url);
      clients.push(running, inTx);
      try {
        const sleep = server.engine === 'mariadb' ? `SELECT SLEEP(1.5), '${SECRET_LITERAL}'` : `SELECT pg_sleep(1.5), '${SECRET_LITERAL}'`;
        const pending = running.query(sleep);
        await inTx.query(server.engine === 'mariadb' ? 'START TRANSACTION WITH CONSISTENT SNAPSHOT' : 'BEGIN');
        await inTx.query('SELECT 1');
        let sessions: readonly SessionRow[] = [];
        assert.ok(
          await eventually(async () => {
            sessions = (await view.read({ user: server.user })).sessions;
            return (
              sessions.some((s) => s.state === 'active' && s.statement === 'SELECT') &&
              sessions.some((s) => s.state === 'idle in transaction')
            );
          }, 3000),
          JSON.stringify(sessions),
        );
        assert.ok(!JSON.stringify(sessions).includes(SECRET_LITERAL), 'the statement text left the reader');
        const tx = sessions.find((s) => s.state === 'idle in transaction')!;
        assert.equal(tx.inTransaction, true);
        if (server.engine === 'postgres') assert.ok(tx.transactionStartedAt !== undefined);
        await pending;
      } finally {
        await view.close();
      }
    });

    if (target.engine === 'mariadb') {
      it('keeps a Killed session (it still holds a slot) as killed, with no activity', async () => {
        const view = await reader(server, server.adminUrl);
        const victim = await connect(server.url);
        clients.push(victim);
        try {
          const [own] = (await view.read({ user: server.user })).sessions;
          assert.ok(own !== undefined);
          // KILL QUERY on an idle session marks it Killed until its next command.
          await adminQuery(server, `KILL QUERY ${own.id}`);
          const [killed] = (await view.read({ user: server.user })).sessions;
          assert.equal(killed?.state, 'killed', JSON.stringify(killed));
          assert.equal(killed.statement, null);
          assert.ok(killed.idleMs !== undefined);
        } finally {
          await view.close();
        }
      });
    }
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
