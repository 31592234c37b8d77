/**
 * The polls example on each framework, run as a user would (`node --import tsx
 * examples/polls-<framework>/server.ts` on a fresh SQLite file): it answers every route, and
 * SIGTERM shuts it down through shutdownOnSignal, which raises the signal again once done.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { engineTargets } from './harness/shared-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 15_000;

interface Started {
  readonly child: ChildProcess;
  readonly base: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts an example on a free port and resolves with its base URL once it prints it. */
function start(framework: string, dir: string, databaseUrl?: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/polls-${framework}/server.ts`], {
    cwd: ROOT,
    env: {
      ...withoutDatabaseUrl(process.env),
      PORT: '0',
      POLLS_SQLITE_FILE: join(dir, `${framework}.sqlite3`),
      ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${framework} example printed no URL within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\/polls/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, base: `http://127.0.0.1:${match[1]}`, exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the ${framework} example exited (${code}) before listening:\n${output}`));
    });
  });
}

function withoutDatabaseUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _unused, ...rest } = env;
  return rest;
}

async function json(response: Response): Promise<any> {
  assert.equal(response.status, 200, `${response.url}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

describe('examples: the polls API on each framework', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-examples-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // polls-kysely is Fastify with Kysely's queries (any engine: SQLite here); polls-drizzle is
  // Express with Drizzle's mysql-core schema, so it runs on the suite's MariaDB.
  const [mariadb] = engineTargets(['mariadb']);
  for (const framework of ['fastify', 'express', 'hono', 'kysely', 'drizzle']) {
    const onMariadb = framework === 'drizzle';
    it(`${framework}: serves the polls routes, then stops on SIGTERM`, { skip: onMariadb && mariadb!.skip }, async () => {
      const app = await start(framework, dir, onMariadb ? (await mariadb!.server()).url : undefined);
      try {
        const questions = await json(await fetch(`${app.base}/polls`));
        assert.equal(questions.length, 3);
        const before = await json(await fetch(`${app.base}/polls/1`));
        const choice = before.choices[0];
        const after = await json(
          await fetch(`${app.base}/polls/1/vote`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ choice: choice.id }),
          }),
        );
        assert.equal(after.choices[0].votes, choice.votes + 1);
        assert.equal(after.totalVotes, before.totalVotes + 1);
        const lines = (await (await fetch(`${app.base}/polls/1/slow`)).text()).trim().split('\n');
        assert.equal(lines.length, 6);
        assert.equal(JSON.parse(lines[5]!).step, 6);
        assert.equal((await fetch(`${app.base}/polls/99`)).status, 404);
        assert.equal(
          (await fetch(`${app.base}/polls/1/vote`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status,
          400,
        );
        assert.match(await (await fetch(`${app.base}/metrics`)).text(), /leakproof_connections_open\{alias="default"\} \d/);
      } finally {
        app.child.kill('SIGTERM');
      }
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        app.exited,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no exit after SIGTERM')), EXIT_TIMEOUT_MS))),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(exit, { code: null, signal: 'SIGTERM' }, 'the example did not end by its re-raised SIGTERM');
    });
  }
});
