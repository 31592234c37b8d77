/**
 * Every code block of README.md and docs/*.md does what it says, as written (issue 8, item 7).
 * The line before a TypeScript/JavaScript block says how it is checked:
 *
 * - `<!-- run -->`: a script; run as a process, it must exit 0.
 * - `<!-- run: GET /path -->`: a server; run as a process (its `listen(3000)` moved to a free
 *   port), `GET /path` must answer 2xx, then SIGTERM must end it. `<!-- run: GET /path on
 *   mariadb -->` (or `on postgres`): the same with DATABASE_URL on the suite's server of that
 *   engine, the fixture's poll and choice tables made there: for the query-builder walkthroughs,
 *   written for one engine (a Drizzle mysql-core schema).
 * - `<!-- fragment -->`: a piece of a program; type-checked, with what it leaves out (`dbs`,
 *   `db`, `res`, …) declared around it.
 * - `<!-- example: name -->`: run by test/observability-docs.test.ts with its expected output.
 * - `<!-- signature -->`: a type signature in prose form; its name must be an export.
 *
 * Run and server blocks are type-checked too. A block without a marker fails the test, so a
 * new block must say how it is checked. Shell blocks are checked without a marker: every
 * `leakproof …` line parses with the CLI's own parser, every `npm run x` is a script of
 * package.json, every `npm install` names known packages, every URL parses; the README's
 * probe command is run against the polls example (only its request count and settle points
 * shortened) and must meet no 4xx. Blocks without a language are sample output.
 *
 * Imports of `leakproof` and its subpaths are pointed at the sources.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { parseCommand } from '../src/cli/args.js';
import { demoSpec } from '../src/cli/commands/demo-spec.js';
import { doctorSpec } from '../src/cli/commands/doctor-spec.js';
import { probeSpec } from '../src/cli/commands/probe-spec.js';
import { parseDatabaseUrl } from '../src/core/config/parse-url.js';
import { createDatabases } from '../src/index.js';
import { startPollsApp, type PollsApp } from '../src/cli/demo/start-polls-app.js';
import { engineTargets } from './harness/shared-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const ENTRY_POINTS: Readonly<Record<string, string>> = {
  leakproof: 'src/index.ts',
  'leakproof/http': 'src/adapters/http.ts',
  'leakproof/diagnostics': 'src/instrumentation/channels.ts',
  'leakproof/prometheus': 'src/observability/prometheus.ts',
  'leakproof/fastify': 'src/adapters/fastify.ts',
  'leakproof/express': 'src/adapters/express.ts',
  'leakproof/hono': 'src/adapters/hono.ts',
  'leakproof/kysely': 'src/kysely/leakproof-dialect.ts',
  'leakproof/drizzle': 'src/drizzle/drizzle.ts',
  'leakproof/probe': 'src/probe/index.ts',
  'leakproof/doctor': 'src/doctor/index.ts',
};
const RUN_TIMEOUT_MS = 60_000;

interface Block {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly marker: string | undefined;
  readonly code: string;
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const file of DOCS) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\w*)\s*$/.exec(lines[i]!);
      if (open === null) continue;
      const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
      const marker = /^<!-- (.+?) -->$/.exec(lines[i - 1] ?? '')?.[1];
      out.push({ file, line: i + 1, lang: open[1]!, marker, code: lines.slice(i + 1, end).join('\n') });
      i = end;
    }
  }
  return out;
}

const ALL = blocks();
const where = (block: Block): string => `${block.file}:${block.line}`;
const isCode = (block: Block): boolean => ['ts', 'js', 'typescript', 'javascript'].includes(block.lang);

/** Imports of the package pointed at the sources: as file URLs to run, as relative paths to type-check. */
function pointAtSources(code: string, to: (source: string) => string): string {
  return code.replace(/from '(leakproof(?:\/[a-z]+)?)'/g, (_all, name: string) => {
    const source = ENTRY_POINTS[name];
    assert.ok(source !== undefined, `the docs import an unknown entry point "${name}"`);
    return `from '${to(source)}'`;
  });
}

// ------------------------------------------------------------------------------- type check

/** What fragments may leave out, declared around them unless they declare it themselves. */
const CONTEXT: ReadonlyArray<readonly [string, string]> = [
  ['dbs', "declare const dbs: import('leakproof').Databases;"],
  ['db', "declare const db: import('leakproof').Database;"],
  ['id', 'declare const id: number;'],
  ['since', 'declare const since: string;'],
  ['res', "declare const res: import('node:http').ServerResponse;"],
  ['req', "declare const req: import('node:http').IncomingMessage;"],
  ['server', "declare const server: import('node:http').Server;"],
  ['app', "declare const app: import('fastify').FastifyInstance;"],
  ['unavailable', 'declare const unavailable: { inc(labels: Record<string, string>): void };'],
];

function declares(code: string, name: string): boolean {
  return new RegExp(`\\b(const|let|var|function|class)\\s+${name}\\b|import\\s*\\{[^}]*\\b${name}\\b[^}]*\\}|import\\s+${name}\\b`).test(
    code,
  );
}

function typeCheck(checked: readonly Block[]): Map<Block, string[]> {
  const dir = join(ROOT, '.tmp', `docs-blocks-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, Block>();
  for (const block of checked) {
    const name = join(dir, `${block.file.replace(/\W/g, '_')}_${block.line}.ts`);
    const code = pointAtSources(block.code, (source) =>
      relative(dir, join(ROOT, source))
        .replace(/\.ts$/, '.js')
        .replace(/^(?!\.)/, './'),
    );
    const context =
      block.marker === 'fragment'
        ? CONTEXT.filter(([ident]) => !declares(code, ident) && new RegExp(`\\b${ident}\\b`).test(code)).map(([, line]) =>
            line.replace(
              /import\('leakproof'\)/g,
              `import('${relative(dir, join(ROOT, ENTRY_POINTS['leakproof']!)).replace(/\.ts$/, '.js')}')`,
            ),
          )
        : [];
    writeFileSync(name, `${context.join('\n')}\n${code}\nexport {};\n`);
    files.set(name, block);
  }
  // Packages the docs show that leakproof does not depend on.
  writeFileSync(
    join(dir, 'shims.d.ts'),
    [
      "declare module '@opentelemetry/api' { export const trace: { getTracer(name: string): { startSpan(name: string, options?: object): { end(time?: number): void } } }; }",
      "declare module 'pino' { export default function pino(): { error(fields: object, message: string): void; warn(fields: object, message: string): void }; }",
    ].join('\n'),
  );
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const options = ts.convertCompilerOptionsFromJson(
    { ...(config as { compilerOptions: object }).compilerOptions, noEmit: true, rootDir: ROOT },
    ROOT,
  ).options;
  const program = ts.createProgram([...files.keys(), join(dir, 'shims.d.ts')], options);
  const errors = new Map<Block, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const block = diagnostic.file === undefined ? undefined : files.get(diagnostic.file.fileName);
    if (block === undefined) continue;
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    errors.set(block, [...(errors.get(block) ?? []), `line ${line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`]);
  }
  rmSync(dir, { recursive: true, force: true });
  return errors;
}

// ------------------------------------------------------------------------------------- runs

const cwd = mkdtempSync(join(tmpdir(), 'leakproof-docs-blocks-'));
const scripts = join(ROOT, '.tmp', `docs-run-${process.pid}`);
after(() => {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(scripts, { recursive: true, force: true });
});
const FIXTURE_DB = `sqlite:${join(cwd, 'fixture.sqlite3')}`;

/** The tables the docs' statements read (`poll`, `choice`, `vote`), in a SQLite file the blocks get as DATABASE_URL. */
async function prepareFixture(): Promise<void> {
  const dbs = createDatabases({ default: FIXTURE_DB });
  await dbs.run(async () => {
    const db = dbs.get();
    await db.execute(
      'CREATE TABLE poll (id INTEGER PRIMARY KEY, question TEXT, votes INTEGER DEFAULT 0, created TEXT DEFAULT CURRENT_TIMESTAMP)',
    );
    await db.execute('CREATE TABLE choice (id INTEGER PRIMARY KEY, poll_id INTEGER, text TEXT)');
    await db.execute('CREATE TABLE vote (id INTEGER PRIMARY KEY, poll_id INTEGER, choice_id INTEGER)');
    await db.execute("INSERT INTO poll (id, question) VALUES (1, 'Tabs or spaces?'), (2, 'Vim or Emacs?')");
  });
  await dbs.close();
}

/** Moves `listen(3000)` (any listen) to a free port and reports it on stdout as `LISTENING <port>`. */
const LISTEN_PRELOAD = `
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') args[0] = 0;
  else if (typeof args[0] === 'object' && args[0] !== null && 'port' in args[0]) args[0] = { ...args[0], port: 0 };
  this.once('listening', () => process.stdout.write('LISTENING ' + this.address().port + '\\n'));
  return listen.apply(this, args);
};
`;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly answer?: { status: number; body: string };
}

type ServerEngine = 'mariadb' | 'postgres';
const SERVERS = Object.fromEntries(engineTargets(['mariadb', 'postgres']).map((target) => [target.engine, target])) as Record<
  ServerEngine,
  ReturnType<typeof engineTargets>[number]
>;
const SERVER_FIXTURE = (auto: string): string[] => [
  'DROP TABLE IF EXISTS choice',
  'DROP TABLE IF EXISTS poll',
  `CREATE TABLE poll (id ${auto}, question VARCHAR(200) NOT NULL, votes INT NOT NULL DEFAULT 0)`,
  `CREATE TABLE choice (id ${auto}, poll_id INT NOT NULL, text VARCHAR(200) NOT NULL)`,
  "INSERT INTO poll (question) VALUES ('Tabs or spaces?')",
  "INSERT INTO choice (poll_id, text) VALUES (1, 'Tabs'), (1, 'Spaces')",
];

/** The fixture's poll and choice tables on the suite's server of `engine`; resolves with its app URL. */
async function serverFixture(engine: ServerEngine): Promise<string> {
  const { url } = await SERVERS[engine].server();
  const dbs = createDatabases({ default: { url, maxConnections: 1 } });
  for (const statement of SERVER_FIXTURE(engine === 'mariadb' ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'SERIAL PRIMARY KEY'))
    await dbs.run(() => dbs.get().execute(statement));
  await dbs.close();
  return url;
}

function runBlock(block: Block, request: string | undefined, databaseUrl = FIXTURE_DB): Promise<Run> {
  // Inside the project (.tmp/ is ignored by git), so the frameworks and drivers resolve; .mts:
  // an ES module whatever the directory says, for top-level await. It runs in a temp cwd.
  mkdirSync(scripts, { recursive: true });
  const file = join(scripts, `${block.file.replace(/\W/g, '_')}_${block.line}.mts`);
  writeFileSync(
    file,
    pointAtSources(block.code, (source) => pathToFileURL(join(ROOT, source)).href),
  );
  const preload = join(cwd, 'listen-preload.mjs');
  writeFileSync(preload, LISTEN_PRELOAD);
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--import', pathToFileURL(preload).href, file], {
    cwd,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let answer: Run['answer'];
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const port = /LISTENING (\d+)/.exec(output)?.[1];
    if (request === undefined || port === undefined || answer !== undefined) return;
    answer = { status: 0, body: '' };
    const [method, path] = request.split(' ');
    void fetch(`http://127.0.0.1:${port}${path}`, { method })
      .then(
        async (response) => {
          answer = { status: response.status, body: await response.text() };
        },
        (error: unknown) => {
          answer = { status: -1, body: String(error) };
        },
      )
      .finally(() => child.kill('SIGTERM'));
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ...(answer === undefined ? {} : { answer }) });
    });
  });
}

// ------------------------------------------------------------------------------------ tests

describe('the code blocks of README.md and docs/*.md', () => {
  before(prepareFixture);

  it('every TypeScript/JavaScript block says how it is checked', () => {
    const unmarked = ALL.filter(
      (block) =>
        isCode(block) && !/^(run(: [A-Z]+ \/\S*( on (mariadb|postgres))?)?|fragment|example: [a-z-]+|signature)$/.test(block.marker ?? ''),
    );
    assert.deepEqual(unmarked.map(where), []);
    assert.ok(ALL.filter(isCode).length >= 15, 'the docs lost their examples');
  });

  it('every run, server and fragment block type-checks', () => {
    const errors = typeCheck(ALL.filter((block) => isCode(block) && /^(run|fragment)/.test(block.marker ?? '')));
    assert.deepEqual(
      [...errors].map(([block, lines]) => `${where(block)}\n  ${lines.join('\n  ')}`),
      [],
    );
  });

  it('every signature block names an export', async () => {
    for (const block of ALL.filter((b) => b.marker === 'signature')) {
      const name = /^(\w+)\(/.exec(block.code.trim())?.[1];
      const modules = await Promise.all(
        Object.values(ENTRY_POINTS)
          .filter((s) => !s.includes('fastify'))
          .map((source) => import(pathToFileURL(join(ROOT, source)).href) as Promise<Record<string, unknown>>),
      );
      assert.ok(
        name !== undefined && modules.some((m) => typeof m[name] === 'function'),
        `${where(block)}: ${name ?? '?'} is not exported`,
      );
    }
  });

  for (const block of ALL.filter((b) => isCode(b) && b.marker?.startsWith('run') === true)) {
    const on = / on (mariadb|postgres)$/.exec(block.marker!)?.[1] as ServerEngine | undefined;
    const request = block.marker!.startsWith('run: ') ? block.marker!.slice(5).replace(/ on \w+$/, '') : undefined;
    it(
      `${where(block)} runs${request === undefined ? '' : ` and answers ${request}`}${on === undefined ? '' : ` on ${on}`}`,
      { skip: on !== undefined && SERVERS[on].skip },
      async () => {
        const run = await runBlock(block, request, on === undefined ? FIXTURE_DB : await serverFixture(on));
        if (request === undefined) {
          assert.equal(run.code, 0, run.output);
          return;
        }
        assert.ok(
          run.answer !== undefined && run.answer.status >= 200 && run.answer.status < 300,
          `answered ${JSON.stringify(run.answer)}\n${run.output}`,
        );
        // shutdownOnSignal ends the process the way SIGTERM ends it, after a graceful shutdown.
        assert.ok(
          run.code === 0 || run.signal === 'SIGTERM' || run.code === 143,
          `exit ${String(run.code)} ${String(run.signal)}\n${run.output}`,
        );
      },
    );
  }

  it('every shell block: leakproof lines parse, npm scripts and packages exist, URLs parse', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const specs = { demo: demoSpec, probe: probeSpec, doctor: doctorSpec };
    for (const block of ALL.filter((b) => b.lang === 'sh' || b.lang === 'bash')) {
      for (const line of block.code
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .map((l) => l.replace(/#.*$/, '').trim())
        .filter((l) => l !== '')) {
        for (const command of line.split('&&').map((c) => c.trim())) {
          const words = shellWords(command).filter((word) => !/^[A-Z_]+=/.test(word));
          for (const assignment of shellWords(command).filter((word) => /^DATABASE_URL=/.test(word)))
            parseDatabaseUrl(assignment.slice('DATABASE_URL='.length));
          if (words[0] === 'leakproof') {
            const spec = specs[words[1] as keyof typeof specs];
            assert.ok(spec !== undefined, `${where(block)}: unknown command in ${command}`);
            assert.doesNotThrow(() => parseCommand(spec, words.slice(2)), `${where(block)}: ${command}`);
          } else if (words[0] === 'npm' && words[1] === 'run') {
            assert.ok(pkg.scripts[words[2]!] !== undefined, `${where(block)}: no script "${words[2]}"`);
          } else if (words[0] === 'npm' && words[1] === 'install') {
            for (const name of words.slice(2).filter((w) => !w.startsWith('-')))
              assert.ok(name === 'leakproof' || pkg.peerDependencies[name] !== undefined, `${where(block)}: npm install ${name}`);
          }
        }
      }
    }
  });

  describe("the README's probe command, against the polls example", () => {
    let app: PollsApp | undefined;
    before(async () => {
      app = await startPollsApp({ databaseUrl: `sqlite:${join(cwd, 'polls.sqlite3')}`, stderr: { write: () => true } });
    });
    after(async () => app?.stop());

    it('meets no 4xx: every shape it sends suits the endpoint, and finds no leak', async () => {
      const readme = ALL.find((b) => b.file === 'README.md' && b.lang === 'sh' && b.code.includes('leakproof probe'))!;
      const words = shellWords(readme.code.replace(/\\\n\s*/g, ' '))
        .slice(2)
        .map((word) =>
          word
            .replace('http://localhost:3000', `http://127.0.0.1:${app!.port}`)
            .replace('$DATABASE_URL', `http://127.0.0.1:${app!.port}/metrics`),
        )
        .map((word) => (word === 'report.html' ? join(cwd, 'report.html') : word));
      const { runCli } = await import('../src/cli/run-cli.js');
      let stdout = '';
      // Shorter than the README's own run; the settle point lies past the polls app's idleTimeout
      // (1 s), since one at 1 s races the pool's reaper on a loaded machine.
      const code = await runCli(['probe', ...words, '--requests', '60', '--settle', '2s', '--json'], {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: () => true },
        env: {},
        cwd,
        signal: new AbortController().signal,
      });
      const result = JSON.parse(stdout) as { rounds: { statusCounts: Record<string, number> }[]; verdict: { kind: string } };
      const statuses = result.rounds.flatMap((round) => Object.keys(round.statusCounts));
      assert.deepEqual(
        statuses.filter((status) => /^4/.test(status)),
        [],
        JSON.stringify(result.rounds.map((r) => r.statusCounts)),
      );
      assert.equal(code, 0, result.verdict.kind);
    });
  });
});

/** Words of a simple shell command: quotes removed, no expansion. */
function shellWords(command: string): string[] {
  return [...command.matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) => m[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2'));
}
