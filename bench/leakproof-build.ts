/**
 * Which leakproof the bench measures: the JavaScript `tsc` emits from src/, as users run it.
 *
 * Not the TypeScript source through tsx: tsx transpiles with esbuild's `keepNames`, which wraps
 * every named closure in `__name(fn, "name")`, an `Object.defineProperty` each time the closure
 * is created. leakproof creates such closures per query (e.g. `step` in `Lease.#enqueue`); the
 * raw drivers, plain JavaScript in node_modules, are never transformed. Measured from source,
 * leakproof would pay a cost its users never do (about 3 µs per query in a profile).
 *
 * The build goes to node_modules/.cache (ignored by git, and inside the project so the
 * compiled files resolve the drivers from its node_modules); `BENCH_FROM_SOURCE=1` measures
 * the source through tsx instead, for debugging.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Core from '../src/index.js';
import type * as Http from '../src/adapters/http.js';
import type * as KyselyEntry from '../src/kysely/leakproof-dialect.js';
import type * as DrizzleEntry from '../src/drizzle/drizzle.js';

/** The framework adapters the bench compares. */
const FRAMEWORKS = ['fastify', 'express', 'hono'] as const;

/** The query-builder entry points the bench compares, under src/. */
const QUERY_BUILDER_ENTRIES = { kysely: 'kysely/leakproof-dialect', drizzle: 'drizzle/drizzle' } as const;

/** Set by the parent for its children: the directory of the compiled src/. */
const DIST_ENV = 'LEAKPROOF_BENCH_DIST';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Compiles src/ (emit only: the typecheck is `npm run typecheck`'s job) and points children at it. */
export function buildLeakproof(): string {
  // Only the entry points the bench loads and what they import: a file elsewhere in src/ that
  // is still being written must not break the bench.
  const entries = [
    'index.ts',
    ...['http', ...FRAMEWORKS].map((name) => join('adapters', `${name}.ts`)),
    ...Object.values(QUERY_BUILDER_ENTRIES).map((entry) => `${entry}.ts`),
  ];
  const out = compileSources(join(ROOT, 'src'), 'leakproof-bench', entries);
  process.env[DIST_ENV] = out;
  return out;
}

/**
 * Compiles `entries` of the source tree `src` (and what they import) with the build config's
 * options into node_modules/.cache/<name>/dist, and returns that directory.
 */
export function compileSources(src: string, name: string, entries: readonly string[]): string {
  const cache = join(ROOT, 'node_modules', '.cache', name);
  const out = join(cache, 'dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const project = join(cache, 'tsconfig.json');
  writeFileSync(
    project,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: { rootDir: src, outDir: out, declaration: false, sourceMap: false },
      include: [],
      files: entries.map((entry) => join(src, entry)),
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', project, '--noCheck'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`compiling ${src} failed:\n${result.stdout}${result.stderr}`);
  return out;
}

export interface Leakproof {
  readonly createDatabases: typeof Core.createDatabases;
  readonly withDatabases: typeof Http.withDatabases;
  /** What was loaded, for the report. */
  readonly from: string;
}

/** In a child: the compiled leakproof if the parent built it, else the source (through tsx). */
export async function loadLeakproof(): Promise<Leakproof> {
  const dist = process.env[DIST_ENV];
  if (dist === undefined || dist === '') {
    const [core, http] = await Promise.all([import('../src/index.js'), import('../src/adapters/http.js')]);
    return { createDatabases: core.createDatabases, withDatabases: http.withDatabases, from: 'src/ through tsx' };
  }
  const load = (path: string): Promise<unknown> => import(pathToFileURL(join(dist, path)).href);
  const [core, http] = (await Promise.all([load('index.js'), load('adapters/http.js')])) as [typeof Core, typeof Http];
  return { createDatabases: core.createDatabases, withDatabases: http.withDatabases, from: dist };
}

/**
 * In a child: a framework adapter's middleware or plugin (compiled like `loadLeakproof`):
 * `leakproof/fastify`'s default export, the `leakproof` export of the others.
 */
export async function loadAdapter(name: (typeof FRAMEWORKS)[number]): Promise<unknown> {
  const module = await importAdapter(name);
  return name === 'fastify' ? module.default : module.leakproof;
}

/** In a child: `leakproof/express`'s error middleware, which answers (and holds off) what the adapter sheds. */
export async function loadExpressErrorHandler(): Promise<unknown> {
  return (await importAdapter('express')).leakproofErrorHandler;
}

function importAdapter(
  name: (typeof FRAMEWORKS)[number],
): Promise<{ default?: unknown; leakproof?: unknown; leakproofErrorHandler?: unknown }> {
  const dist = process.env[DIST_ENV];
  const url =
    dist === undefined || dist === ''
      ? new URL(`../src/adapters/${name}.ts`, import.meta.url).href
      : pathToFileURL(join(dist, 'adapters', `${name}.js`)).href;
  return import(url) as Promise<{ default?: unknown; leakproof?: unknown; leakproofErrorHandler?: unknown }>;
}

interface QueryBuilderEntries {
  kysely: typeof KyselyEntry;
  drizzle: typeof DrizzleEntry;
}

/** In a child: `leakproof/kysely` or `leakproof/drizzle`, compiled like `loadLeakproof`. */
export async function loadQueryBuilder<N extends keyof QueryBuilderEntries>(name: N): Promise<QueryBuilderEntries[N]> {
  const dist = process.env[DIST_ENV];
  const entry = QUERY_BUILDER_ENTRIES[name];
  const url =
    dist === undefined || dist === '' ? new URL(`../src/${entry}.ts`, import.meta.url).href : pathToFileURL(join(dist, `${entry}.js`)).href;
  return (await import(url)) as QueryBuilderEntries[N];
}
