/**
 * The SQL samplers against real servers: they count the filtered sessions as the server lists
 * them, never their own, survive their own session being killed, and an unreachable database or
 * target stops the probe before any load with PROBE_UNREACHABLE and no password in sight.
 */
import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { ProbeError } from '../src/errors/errors.js';
import { runProbe } from '../src/probe/run-probe.js';
import { createSampler } from '../src/probe/samplers/create-sampler.js';
import type { Sampler } from '../src/probe/samplers/sampler.js';
import { forEachEngine } from './support/engines.js';
import { eventually } from './support/serve.js';
import { closedPort } from './probe/free-port.js';
import { startLeakproofPooled } from './probe/fixtures/leakproof-pooled.js';
import { rawClient } from './probe/fixtures/raw-driver.js';

forEachEngine('probe samplers', ['mariadb', 'postgres'], (engine) => {
  const opened = new Set<{ destroy(): void }>();
  let sampler: Sampler | undefined;
  const user = (): string => decodeURIComponent(new URL(engine().url).username);

  afterEach(async () => {
    for (const connection of opened) connection.destroy();
    opened.clear();
    await sampler?.close();
    sampler = undefined;
    assert.equal(await engine().waitForCount(0), 0);
  });

  it('counts the filtered sessions, excluding its own, and reads the server limit', async () => {
    sampler = await createSampler(engine().url, { user: user() });
    assert.equal(await sampler.sample(), 0, 'the sampler counted its own session');
    for (let i = 0; i < 3; i++) await rawClient(engine().url, opened);
    assert.equal(await sampler.sample(), 3);
    const limit = await sampler.maxConnections();
    assert.ok(limit !== undefined && limit > 3, `max connections: ${limit}`);
    await sampler.close();
    sampler = await createSampler(engine().url, { user: user(), database: 'leakproof_test', host: '127.0.0.1' });
    assert.equal(await sampler.sample(), 3);
    await sampler.close();
    sampler = await createSampler(engine().url, { user: user(), host: '10.99.99.99' });
    assert.equal(await sampler.sample(), 0);
  });

  it('reopens its connection after the server killed it', async () => {
    sampler = await createSampler(engine().url, { user: user() });
    const [own] = await engine().connections();
    assert.ok(own !== undefined, 'the sampler session is listed');
    await engine().kill(own.id);
    const s = sampler;
    assert.ok(await eventually(async () => (await s.sample().catch(() => -1)) === 0, 5000), 'the sampler never recovered');
  });

  it('a wrong password is PROBE_UNREACHABLE, and neither password shows', async () => {
    const url = new URL(engine().url);
    url.password = 'Wr0ng-Pw-77';
    const error = await runProbe({ url: 'http://127.0.0.1:1/', db: url.href }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ProbeError && error.code === 'PROBE_UNREACHABLE', String(error));
    assert.match(error.message, /cannot read the connection count from \w+:\/\/[^:]+:\*\*\*@/);
    assert.ok(!error.message.includes('Wr0ng-Pw-77') && !JSON.stringify(error).includes('Wr0ng-Pw-77'));
  });

  it('an unreachable target is PROBE_UNREACHABLE naming it, and the sampler is closed again', async () => {
    const port = await closedPort();
    const error = await runProbe({ url: `http://127.0.0.1:${port}/x`, db: engine().url, filter: { user: user() } }).catch(
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ProbeError && error.code === 'PROBE_UNREACHABLE', String(error));
    assert.match(error.message, new RegExp(`cannot reach the target GET http://127.0.0.1:${port}/x: ECONNREFUSED`));
    assert.ok(!error.message.includes(new URL(engine().url).password));
  });

  it('an unreachable database port is PROBE_UNREACHABLE before any request is sent', async () => {
    const app = await startLeakproofPooled(engine().url);
    try {
      const db = new URL(engine().url);
      db.port = String(await closedPort());
      const error = await runProbe({ url: app.url('/'), db: db.href }).catch((caught: unknown) => caught);
      assert.ok(error instanceof ProbeError && error.code === 'PROBE_UNREACHABLE', String(error));
      assert.equal(app.seen.requests, 0);
    } finally {
      await app.close();
    }
  });
});
