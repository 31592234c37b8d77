/**
 * The shutdown helper beyond the end-path suite's in-flight case: on a signal (and its
 * listeners gone afterwards), idle keep-alive connections that must not hold it up until the
 * deadline, and HTTP/2 sessions.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { it } from 'node:test';
import { currentScope, type Databases, type RequestScope } from '../src/index.js';
import { gracefulShutdown, shutdownOnSignal, withDatabases } from '../src/adapters/http.js';
import { listening } from './support/adapters.js';
import { forEachEngine } from './support/engines.js';
import { eventually } from './support/serve.js';

/** Settles with `promise`, or rejects once `ms` have passed: the bound on every wait here. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

forEachEngine('graceful shutdown', ['mariadb', 'postgres'], (engine) => {
  const open = (): Databases => engine().databases({ default: { url: engine().url, maxLifetime: 0, cancelOnAbort: true } });

  it('on SIGTERM: shuts down, ends the request past the deadline as shutdown, removes its listeners', async () => {
    const dbs = open();
    let scope: RequestScope | undefined;
    const served = await listening(
      http.createServer(
        withDatabases(
          dbs,
          async (_req, res) => {
            scope = currentScope();
            await dbs.get().query(engine().dialect.sleep(10));
            res.end('late');
          },
          { onError: () => {}, logger: false },
        ),
      ),
    );
    const [before, beforeInt] = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const signalled = shutdownOnSignal(served.server, dbs, { deadline: 300, closeGracePeriod: 500, exit: false });
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    const request = fetch(`http://127.0.0.1:${served.port}/`).catch((error: unknown) => error);
    assert.ok(
      await eventually(async () => (await engine().connections()).some((c) => /sleep/i.test(c.query ?? ''))),
      'the request never ran its statement',
    );
    process.emit('SIGTERM');
    const result = await within(10_000, signalled.done, 'the shutdown');
    assert.deepEqual([result.signal, result.aborted], ['SIGTERM', 1]);
    assert.ok((await request) instanceof Error);
    assert.equal(scope?.endReason, 'shutdown');
    assert.equal(process.listenerCount('SIGTERM'), before, 'the SIGTERM listener was left behind');
    assert.equal(process.listenerCount('SIGINT'), beforeInt, 'the SIGINT listener was left behind');
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('remove() takes the listeners away without shutting down', async () => {
    const dbs = open();
    const served = await listening(http.createServer(withDatabases(dbs, (_req, res) => res.end('ok'))));
    const [term, int] = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const signalled = shutdownOnSignal(served.server, dbs, { exit: false });
    signalled.remove();
    assert.deepEqual([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')], [term, int]);
    assert.equal(served.server.listening, true);
  });

  it('an idle keep-alive connection does not hold the shutdown until the deadline', async () => {
    const dbs = open();
    const served = await listening(
      http.createServer(
        withDatabases(dbs, async (_req, res) => {
          await dbs.get().query('SELECT 1');
          res.end('ok');
        }),
      ),
    );
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: served.port, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    assert.equal(status, 200);
    // The connection now idles in the agent; a 60 s deadline would show as the bound below failing.
    const result = await within(
      5000,
      gracefulShutdown(served.server, dbs, { deadline: 60_000 }),
      'the shutdown with one idle keep-alive connection',
    );
    assert.equal(result.aborted, 0);
    assert.equal(served.server.listening, false);
    assert.equal(await engine().waitForCount(0), 0);
    agent.destroy();
  });

  it("HTTP/2: a finished stream's session gets its GOAWAY, a stream past the deadline is reset, the count reaches 0", async () => {
    const dbs = open();
    const scopes: RequestScope[] = [];
    const server = http2.createServer(
      withDatabases(
        dbs,
        async (req, res) => {
          scopes.push(currentScope()!);
          await dbs.get().query(engine().dialect.sleep(req.url === '/slow' ? 10 : 0));
          res.end('ok');
        },
        { onError: () => {}, logger: false },
      ),
    );
    const served = await listening(server);
    const signalled = shutdownOnSignal(served.server, dbs, { deadline: 300, closeGracePeriod: 500, exit: false, signals: ['SIGUSR2'] });
    const session = http2.connect(`http://127.0.0.1:${served.port}`);
    session.on('error', () => undefined);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const fast = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':path': '/fast' });
      stream.on('response', (headers) => resolve(Number(headers[':status'])));
      stream.on('error', reject);
      stream.resume();
    });
    assert.equal(fast, 200);
    const slow = session.request({ ':path': '/slow' });
    const slowEnded = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.on('error', () => undefined);
    slow.resume();
    assert.ok(
      await eventually(async () => scopes.length === 2 && (await engine().connections()).some((c) => /sleep/i.test(c.query ?? ''))),
      'the slow stream never ran its statement',
    );
    process.emit('SIGUSR2', 'SIGUSR2');
    const result = await within(10_000, signalled.done, 'the HTTP/2 shutdown');
    await within(5000, goaway, 'the GOAWAY');
    await within(5000, slowEnded, 'the reset of the slow stream');
    assert.equal(result.aborted, 1);
    assert.deepEqual(
      scopes.map((scope) => scope.endReason),
      ['finished', 'shutdown'],
    );
    assert.equal(await engine().waitForCount(0), 0);
    session.destroy();
  });
});
