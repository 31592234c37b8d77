/**
 * A quick side-by-side of the two MySQL drivers on this machine, through leakproof's own
 * driver wrappers (and the raw packages, to see what the wrappers cost):
 *
 * - 20,000 primary-key SELECTs, one after another on one connection;
 * - 500 × connect + close.
 *
 * Rounds are interleaved (mysql2, mariadb, mysql2, …) so that drift in the machine or the
 * server hits both alike. Not a benchmark suite: a first look, printed as ops/s.
 *
 * Run: node --import tsx bench/mysql-drivers.ts [mysql://root@127.0.0.1:3306/test]
 */
import mariadb, { type Connection as MariadbConnection } from 'mariadb';
import mysql2 from 'mysql2';
import type { ConnectionSettings, Driver, DriverConnection } from '../src/drivers/driver.js';
import { createMariadbDriver } from '../src/drivers/mysql/mariadb-driver.js';
import { createMysql2Driver } from '../src/drivers/mysql/mysql2-driver.js';

const URL_TEXT = process.argv[2] ?? process.env['LEAKPROOF_MARIADB_URL'] ?? 'mysql://root@127.0.0.1:3306/test';
const ROUNDS = 3;
const SELECTS = 20_000;
const CONNECTS = 500;
const TABLE = 'lp_bench_kv';
const ROWS = 100;

const url = new URL(URL_TEXT);
const settings: ConnectionSettings = {
  engine: 'mysql',
  host: url.hostname,
  port: url.port === '' ? 3306 : Number(url.port),
  user: decodeURIComponent(url.username) || 'root',
  password: decodeURIComponent(url.password) || undefined,
  database: decodeURIComponent(url.pathname.slice(1)) || 'test',
  filename: undefined,
  params: {},
  statementTimeout: 0,
  statementCache: 0,
  driverOptions: {},
  connectTimeout: 5000,
  keepAliveDelay: 15_000,
};

/** One thing to measure: `run(n)` does n operations. */
interface Subject {
  readonly name: string;
  readonly setUp: () => Promise<void>;
  readonly run: (n: number) => Promise<void>;
  readonly tearDown: () => Promise<void>;
}

function selectsThroughDriver(name: string, driver: Driver): Subject {
  let connection: DriverConnection | undefined;
  return {
    name,
    setUp: async () => void (connection = await driver.connect()),
    run: async (n) => {
      for (let i = 0; i < n; i++) await connection!.query(`SELECT id, v FROM ${TABLE} WHERE id = ?`, [(i % ROWS) + 1]);
    },
    tearDown: async () => connection?.close(),
  };
}

function selectsRawMysql2(): Subject {
  let connection: mysql2.Connection | undefined;
  const query = (id: number) =>
    new Promise<void>((resolve, reject) =>
      connection!.query(`SELECT id, v FROM ${TABLE} WHERE id = ?`, [id], (error) => (error ? reject(error) : resolve())),
    );
  return {
    name: 'raw mysql2 query()',
    setUp: async () => {
      connection = mysql2.createConnection({
        host: settings.host,
        port: settings.port,
        user: settings.user,
        password: settings.password,
        database: settings.database,
      });
      await new Promise((resolve, reject) => connection!.once('connect', resolve).once('error', reject));
    },
    run: async (n) => {
      for (let i = 0; i < n; i++) await query((i % ROWS) + 1);
    },
    tearDown: async () => new Promise<void>((resolve) => connection!.end(() => resolve())),
  };
}

function selectsRawMariadb(): Subject {
  let connection: MariadbConnection | undefined;
  return {
    name: 'raw mariadb query()',
    setUp: async () =>
      void (connection = await mariadb.createConnection({
        host: settings.host,
        port: settings.port,
        user: settings.user,
        password: settings.password,
        database: settings.database,
      })),
    run: async (n) => {
      for (let i = 0; i < n; i++) await connection!.query(`SELECT id, v FROM ${TABLE} WHERE id = ?`, [(i % ROWS) + 1]);
    },
    tearDown: async () => connection?.end(),
  };
}

function connectsThroughDriver(name: string, driver: Driver): Subject {
  return {
    name,
    setUp: async () => {},
    run: async (n) => {
      for (let i = 0; i < n; i++) await (await driver.connect()).close();
    },
    tearDown: async () => {},
  };
}

/** mysql2 with its default 16,000-entry statement cache, to check what the small cache saves. */
function connectsRawMysql2(maxPreparedStatements: number | undefined): Subject {
  const options = {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    maxPreparedStatements,
  };
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const connection = mysql2.createConnection(options);
      connection.once('error', reject).once('connect', () => connection.end(() => resolve()));
    });
  return {
    name: `raw mysql2 connect+end (maxPreparedStatements ${maxPreparedStatements ?? 'default 16000'})`,
    setUp: async () => {},
    run: async (n) => {
      for (let i = 0; i < n; i++) await once();
    },
    tearDown: async () => {},
  };
}

async function measure(subject: Subject, n: number): Promise<number> {
  await subject.setUp();
  try {
    await subject.run(Math.min(200, n)); // warm-up: JIT, server caches
    const started = process.hrtime.bigint();
    await subject.run(n);
    return n / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await subject.tearDown();
  }
}

async function prepareTable(driver: Driver): Promise<void> {
  const connection = await driver.connect();
  try {
    await connection.execute(`CREATE TABLE IF NOT EXISTS ${TABLE} (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
    await connection.execute(`DELETE FROM ${TABLE}`);
    const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 'value-${i + 1}')`).join(', ');
    await connection.execute(`INSERT INTO ${TABLE} (id, v) VALUES ${values}`);
  } finally {
    await connection.close();
  }
}

async function dropTable(driver: Driver): Promise<void> {
  const connection = await driver.connect();
  await connection.execute(`DROP TABLE IF EXISTS ${TABLE}`).finally(() => connection.close());
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  const viaMysql2 = await createMysql2Driver(settings);
  const viaMariadb = await createMariadbDriver(settings);
  await prepareTable(viaMariadb);
  const groups: Array<[string, number, Subject[]]> = [
    [
      `${SELECTS} PK SELECTs, one connection`,
      SELECTS,
      [
        selectsThroughDriver('leakproof mysql2 driver', viaMysql2),
        selectsThroughDriver('leakproof mariadb driver', viaMariadb),
        selectsRawMysql2(),
        selectsRawMariadb(),
      ],
    ],
    [
      `${CONNECTS} × connect + close`,
      CONNECTS,
      [
        connectsThroughDriver('leakproof mysql2 driver', viaMysql2),
        connectsThroughDriver('leakproof mariadb driver', viaMariadb),
        connectsRawMysql2(16),
        connectsRawMysql2(undefined),
      ],
    ],
  ];
  try {
    for (const [title, n, subjects] of groups) {
      const results = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const subject of subjects) results.get(subject.name)!.push(await measure(subject, n));
      }
      report(title, results);
    }
  } finally {
    await dropTable(viaMariadb);
  }
}

function report(title: string, results: Map<string, number[]>): void {
  console.log(`\n${title} (ops/s, ${ROUNDS} interleaved rounds)`);
  const baseline = median(results.values().next().value ?? []);
  for (const [name, values] of results) {
    const rounds = values.map((v) => v.toFixed(0).padStart(7)).join(' ');
    console.log(
      `  ${name.padEnd(58)} ${rounds}   median ${median(values).toFixed(0).padStart(7)}   ×${(median(values) / baseline).toFixed(2)}`,
    );
  }
}

await main();
