/**
 * The harness tested against real servers: if these fail, no other real-database test means
 * anything. Counts come from the server's own views, a killed session dies, a restarted
 * server takes connections again, and a small server refuses with the engine's own error
 * (the premise of the budget tests).
 */
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { countConnections, listConnections, waitForCount } from './harness/count-connections.js';
import { abortingRequest, httpGet, killConnection, pipelinedRequests, postWithAbortedBody } from './harness/faults.js';
import { engineTargets } from './harness/shared-server.js';
import { APP_PASSWORD, createAppUser, type Engine, type TestServer } from './harness/test-server.js';

/** A plain driver session, so the harness is tested without the library under test. */
interface Session {
  /** The server's id for this session, asked of the server. */
  readonly id: number;
  readonly query: (sql: string) => Promise<unknown>;
  readonly close: () => Promise<void>;
}

const SLEEP_SQL: Record<Engine, string> = { mariadb: 'SELECT SLEEP(5)', postgres: 'SELECT pg_sleep(5)' };

/** Sessions still open; closed after each test, so a failed assertion cannot leak into the next. */
const openSessions = new Set<Session>();

for (const target of engineTargets()) {
  describe(`harness on ${target.engine}`, { skip: target.skip }, () => {
    afterEach(async () => {
      await Promise.all([...openSessions].map((session) => session.close()));
    });

    describe('shared server', () => {
      let server: TestServer;
      before(async () => {
        server = await target.server();
      });

      it('counts 0, then 3 while three app sessions are open, then 0 again', async () => {
        assert.equal(await countConnections(server), 0);
        const sessions = await Promise.all([1, 2, 3].map(() => openSession(server.engine, server.url)));
        assert.equal(await countConnections(server), 3);
        const ids = (await listConnections(server)).map((connection) => connection.id);
        assert.deepEqual(
          ids,
          sessions.map((session) => session.id).sort((a, b) => a - b),
        );
        await Promise.all(sessions.map((session) => session.close()));
        assert.equal(await waitForCount(server, 0, { timeoutMs: 5000 }), 0);
      });

      it('lists what a session is doing: running, idle, idle in a transaction', async () => {
        const busy = await openSession(server.engine, server.url);
        const idle = await openSession(server.engine, server.url);
        const running = busy.query(SLEEP_SQL[server.engine]).catch(() => undefined);
        await idle.query('CREATE TEMPORARY TABLE harness_tx (id INT)');
        await idle.query('BEGIN');
        await idle.query('SELECT * FROM harness_tx');
        const isActive = async (): Promise<boolean> =>
          (await listConnections(server)).some((c) => c.id === busy.id && c.state === 'active');
        assert.ok(await untilAsync(isActive), 'the sleeping session never showed as active');
        const byId = new Map((await listConnections(server)).map((connection) => [connection.id, connection]));
        assert.match(byId.get(busy.id)?.query ?? '', /sleep/i);
        assert.equal(byId.get(busy.id)?.inTransaction, false);
        assert.equal(byId.get(idle.id)?.state, 'idle in transaction');
        assert.equal(byId.get(idle.id)?.inTransaction, true);
        assert.equal(byId.get(idle.id)?.query, null);
        assert.ok((byId.get(idle.id)?.idleMs ?? -1) >= 0);
        await killConnection(server, busy.id);
        await running;
        await Promise.all([busy.close(), idle.close()]);
        // A killed session is listed (as Killed, holding its slot) until the server has torn it
        // down: the next test counts from 0, so this one ends when the server says both are gone.
        assert.equal(await waitForCount(server, 0), 0);
      });

      it('another app user is counted apart, and the app password is really checked', async () => {
        const other = await createAppUser(server);
        const theirs = await Promise.all([1, 2].map(() => openSession(server.engine, other.url)));
        assert.equal(await countConnections(server), 0);
        assert.equal(await countConnections(server, { user: other.user }), 2);
        await Promise.all(theirs.map((session) => session.close()));
        const wrong = other.url.replace(encodeURIComponent(APP_PASSWORD), 'not-the-password');
        await assert.rejects(openSession(server.engine, wrong), /password|denied/i);
      });

      it('killConnection ends a session from the server side', async () => {
        const session = await openSession(server.engine, server.url);
        assert.equal(await killConnection(server, session.id), true);
        await assert.rejects(session.query('SELECT 1'));
        assert.equal(await waitForCount(server, 0), 0);
        await session.close();
        assert.equal(await killConnection(server, session.id), false, 'a second kill finds no session');
      });

      it('refuses to stop, kill or restart a server it does not own', async () => {
        await assert.rejects(server.stop(), /not owned/);
        await assert.rejects(server.kill(), /not owned/);
        await assert.rejects(server.restart(), /not owned/);
      });
    });

    describe('dedicated server with maxConnections 5', () => {
      let server: TestServer;
      let startMs = 0;
      before(async () => {
        const began = Date.now();
        server = await target.start({ maxConnections: 5 });
        startMs = Date.now() - began;
      });
      after(async () => {
        await server?.stop();
      });

      it('refuses the 6th app connection with the engine’s own error, and still counts', async (t) => {
        t.diagnostic(`${target.engine} dedicated server started in ${startMs} ms`);
        const sessions = await Promise.all([1, 2, 3, 4, 5].map(() => openSession(server.engine, server.url)));
        try {
          const refusal = await openSession(server.engine, server.url).then(
            (extra) => extra.close().then(() => assert.fail('the 6th connection was accepted')),
            (error: unknown) => error as { errno?: number; code?: string },
          );
          if (server.engine === 'mariadb') assert.equal(refusal.errno, 1040);
          else assert.equal(refusal.code, '53300');
          // MariaDB refuses after the login, so the refused session can be listed for a moment.
          assert.equal(await waitForCount(server, 5), 5);
          assert.equal(await waitForCount(server, 5, { user: null }), 5, 'harness sessions are not counted');
        } finally {
          await Promise.all(sessions.map((session) => session.close()));
        }
        assert.equal(await waitForCount(server, 0), 0);
      });

      it('kill drops every session; restart serves new ones on the same port', async () => {
        const session = await openSession(server.engine, server.url);
        await server.kill();
        await assert.rejects(session.query('SELECT 1'));
        await assert.rejects(openSession(server.engine, server.url));
        await server.restart();
        const fresh = await openSession(server.engine, server.url);
        await fresh.query('SELECT 1');
        assert.equal(await countConnections(server), 1);
        await Promise.all([fresh.close(), session.close()]);
        // The server frees a slot only when it notices the closed socket.
        assert.equal(await waitForCount(server, 0), 0);
        // The limit survives a restart (MariaDB keeps it with ballast sessions, reopened here).
        const full = await Promise.all([1, 2, 3, 4, 5].map(() => openSession(server.engine, server.url)));
        await assert.rejects(openSession(server.engine, server.url));
        await Promise.all(full.map((s) => s.close()));
      });

      it('stop is idempotent and the server is gone afterwards', async (t) => {
        const began = Date.now();
        const extra = await target.start();
        t.diagnostic(`${target.engine} second dedicated server started in ${Date.now() - began} ms`);
        await extra.stop();
        await extra.stop();
        await assert.rejects(openSession(extra.engine, extra.url));
        await assert.rejects(extra.restart(), /stopped/);
      });
    });
  });
}

describe('fault toolbox HTTP clients', () => {
  let http: { server: Server; port: number; seen: { path: string; closedEarly: boolean; bodyBytes: number }[] };
  before(async () => {
    http = await recordingServer();
  });
  after(async () => {
    http.server.closeAllConnections();
    await new Promise((resolve) => http.server.close(resolve));
  });

  it('abortingRequest hangs up before the response', async () => {
    const outcome = await abortingRequest({ port: http.port, path: '/slow', abortAfterMs: 50 });
    assert.equal(outcome.responded, false);
    assert.ok(await until(() => http.seen.some((r) => r.path === '/slow' && r.closedEarly)));
  });

  it('abortWhen decides the moment, and its own deadline bounds it', async () => {
    await abortingRequest({
      port: http.port,
      path: '/slow?when',
      abortWhen: () => until(() => http.seen.some((r) => r.path === '/slow?when')),
    });
    assert.ok(await until(() => http.seen.some((r) => r.path === '/slow?when' && r.closedEarly)));
    await assert.rejects(
      abortingRequest({ port: http.port, path: '/slow?never', abortWhen: () => new Promise(() => undefined), abortWhenTimeoutMs: 100 }),
      /within 100 ms/,
    );
  });

  it('postWithAbortedBody sends part of the promised body, then hangs up', async () => {
    await postWithAbortedBody({ port: http.port, path: '/slow/upload', declaredLength: 100_000, sentBytes: 1000, abortAfterMs: 100 });
    assert.ok(await until(() => http.seen.some((r) => r.path === '/slow/upload' && r.closedEarly && r.bodyBytes === 1000)));
  });

  it('pipelinedRequests puts two requests on one socket and hangs up during the first', async () => {
    await pipelinedRequests({ port: http.port, requests: [{ path: '/slow?first' }, { path: '/fast?second' }], destroyAfterMs: 100 });
    assert.ok(await until(() => http.seen.some((r) => r.path === '/slow?first' && r.closedEarly)));
  });

  it('httpGet returns status, headers and body, and gives up at its deadline', async () => {
    const response = await httpGet(http.port, '/fast');
    assert.equal(response.status, 200);
    assert.equal(response.headers['x-harness'], 'yes');
    assert.equal(response.body, 'fast');
    await assert.rejects(httpGet(http.port, '/slow?timeout', { timeoutMs: 100 }), /within 100 ms/);
  });
});

async function openSession(engine: Engine, url: string): Promise<Session> {
  const session = engine === 'mariadb' ? await openMysqlSession(url) : await openPostgresSession(url);
  openSessions.add(session);
  const close = session.close;
  const tracked = async (): Promise<void> => {
    openSessions.delete(session);
    await close();
  };
  return Object.assign(session, { close: tracked });
}

async function openMysqlSession(url: string): Promise<Session> {
  const connection = await createConnection({ uri: url, connectTimeout: 5000 });
  connection.on('error', () => undefined); // a killed session must not crash the test process
  return {
    id: connection.threadId,
    query: (sql) => connection.query(sql),
    close: async () => connection.destroy(),
  };
}

async function openPostgresSession(url: string): Promise<Session> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined); // a killed session must not crash the test process
  await client.connect();
  const [row] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  return {
    id: row?.pid ?? 0,
    query: (sql) => client.query(sql),
    close: () => client.end().catch(() => undefined),
  };
}

/** An HTTP server that notes each request's path, body size and whether the client left before the reply. */
async function recordingServer(): Promise<{
  server: Server;
  port: number;
  seen: { path: string; closedEarly: boolean; bodyBytes: number }[];
}> {
  const seen: { path: string; closedEarly: boolean; bodyBytes: number }[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const record = { path: request.url ?? '', closedEarly: false, bodyBytes: 0 };
    seen.push(record);
    request.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
    response.on('close', () => (record.closedEarly = !response.writableFinished));
    response.setHeader('x-harness', 'yes');
    const delay = record.path.startsWith('/slow') ? 2000 : 0;
    const timer = setTimeout(() => response.end(record.path.startsWith('/slow') ? 'slow' : 'fast'), delay);
    response.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** Polls the async `check` every 25 ms for up to 5 s; resolves with its last answer. */
async function untilAsync(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return check();
}

/** Polls `check` every 10 ms for up to 3 s; resolves with its last answer. */
async function until(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return check();
}
