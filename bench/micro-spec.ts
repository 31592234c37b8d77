/**
 * What the in-process part measures. Each variant lives in one of two worker processes:
 *
 * - `raw`: the drivers as users call them today, in a process that never enables
 *   AsyncLocalStorage;
 * - `leakproof`: leakproof's own paths, in a process where leakproof has enabled it.
 *
 * On Node 20 an enabled AsyncLocalStorage installs a promise hook that taxes every promise of
 * the process, not only the ones inside a scope. Measuring the raw drivers in a process of
 * their own keeps that tax out of their numbers, so leakproof/raw is what a user adopting
 * leakproof pays. The parent alternates batches between the two workers, so they never run at
 * the same time and drift on the machine hits both alike.
 *
 * @module
 */

export type Side = 'raw' | 'leakproof';

export interface MicroVariantSpec {
  /** Unique within its suite; the worker finds the operation by `suite/key`. */
  readonly key: string;
  readonly side: Side;
  readonly label: string;
}

export interface MicroSuiteSpec {
  readonly id: string;
  readonly title: string;
  /** Operations per batch, one after another (each awaited). */
  readonly ops: number;
  /** The variant the others are compared with. */
  readonly baseline: string;
  readonly variants: readonly MicroVariantSpec[];
  /** Paired comparisons shown in the report, `[variant, baseline]`, besides each against `baseline`. */
  readonly extraPairs?: ReadonlyArray<readonly [string, string]>;
}

/**
 * Raw pool, the same raw pool in the leakproof worker (so with the AsyncLocalStorage tax), and
 * leakproof. leakproof ÷ raw is what adopting leakproof costs; leakproof ÷ raw-als is what
 * leakproof's own code costs beyond the tax any AsyncLocalStorage-based design pays.
 */
const driverVariants = (raw: string, leakproof: string): readonly MicroVariantSpec[] => [
  { key: 'raw', side: 'raw', label: raw },
  { key: 'raw-als', side: 'leakproof', label: `${raw} — AsyncLocalStorage enabled` },
  { key: 'leakproof', side: 'leakproof', label: leakproof },
];
const driverPairs: ReadonlyArray<readonly [string, string]> = [
  ['leakproof', 'raw-als'],
  ['raw-als', 'raw'],
];

export const MICRO_SUITES: readonly MicroSuiteSpec[] = [
  {
    id: 'scope',
    title: 'Scope overhead, no query',
    ops: 200_000,
    baseline: 'plain-als',
    variants: [
      { key: 'plain', side: 'raw', label: 'await (async () => {})() — process without AsyncLocalStorage' },
      { key: 'plain-als', side: 'leakproof', label: 'await (async () => {})() — same, AsyncLocalStorage enabled by leakproof' },
      { key: 'als-run', side: 'leakproof', label: 'await als.run(store, async () => {}) — floor of any ALS scope' },
      { key: 'dbs-run', side: 'leakproof', label: 'await dbs.run(async () => {})' },
      { key: 'adapter-scope', side: 'leakproof', label: 'createScope() → scope.run(fn) → scope.end("finished") (the adapter\'s path)' },
    ],
    extraPairs: [['plain-als', 'plain']],
  },
  {
    id: 'mysql2',
    title: 'SELECT 1, one at a time, mysql2',
    ops: 3000,
    baseline: 'raw',
    extraPairs: driverPairs,
    variants: driverVariants(
      'mysql2/promise pool: getConnection() → query() → release()',
      'leakproof: dbs.run(() => db.query("SELECT 1"))',
    ),
  },
  {
    id: 'mariadb',
    title: 'SELECT 1, one at a time, mariadb',
    ops: 3000,
    baseline: 'raw',
    extraPairs: driverPairs,
    variants: driverVariants(
      'mariadb pool: getConnection() → query() → release()',
      'leakproof (client: "mariadb"): dbs.run(() => db.query("SELECT 1"))',
    ),
  },
  {
    id: 'pg',
    title: 'SELECT 1, one at a time, pg',
    ops: 3000,
    baseline: 'raw',
    extraPairs: driverPairs,
    variants: driverVariants('pg.Pool: connect() → query() → release()', 'leakproof: dbs.run(() => db.query("SELECT 1"))'),
  },
  {
    id: 'sqlite',
    title: 'Primary-key SELECT, one at a time, better-sqlite3 (file)',
    ops: 30_000,
    baseline: 'raw-prepare',
    variants: [
      { key: 'raw-prepare', side: 'raw', label: 'raw connection, in an async fn: db.prepare(sql).all(id)' },
      { key: 'raw-cached', side: 'raw', label: 'raw connection, in an async fn: cachedStatement.all(id)' },
      {
        key: 'raw-cached-als',
        side: 'leakproof',
        label: 'raw connection, in an async fn: cachedStatement.all(id) — AsyncLocalStorage enabled',
      },
      { key: 'leakproof', side: 'leakproof', label: 'leakproof: dbs.run(() => db.query(sql, [id]))' },
    ],
    // leakproof caches prepared statements too: against the cached raw call its overhead is bare.
    extraPairs: [
      ['leakproof', 'raw-cached'],
      ['leakproof', 'raw-cached-als'],
    ],
  },
];

/** What a worker needs to open its variants. */
export interface WorkerSettings {
  readonly mysqlUrl: string;
  readonly pgUrl: string;
  readonly sqliteFile: string;
}

/** One worker's operations, keyed `suite/key`. An operation is awaited once per op. */
export interface OpenVariants {
  readonly ops: ReadonlyMap<string, (i: number) => unknown>;
  close(): Promise<void>;
}

export const PK_SELECT_SQLITE = 'SELECT id, name, price_cents, description FROM bench_item WHERE id = ?';

/** 64 Ki random ids, drawn once: Math.random per op would be measured too. */
export function randomIds(count: number): Uint16Array {
  return Uint16Array.from({ length: 65_536 }, () => 1 + Math.floor(Math.random() * count));
}
