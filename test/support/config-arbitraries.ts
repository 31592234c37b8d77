/**
 * fast-check arbitraries for what users hand `createDatabases`: URLs of every scheme with
 * users, passwords, hosts, ports and query parameters that are right, wrong, huge, negative,
 * NaN, unicode, percent-encoded or not; and alias options and driver options of any type.
 * Every generated password (and every credential-like parameter or driver option) holds
 * {@link TOKEN}, so a leak of any of it, in any form, is found by searching for the token.
 *
 * Used by `test/config-fuzz.test.ts` (a seeded run in CI) and `scripts/fuzz-config.ts` (the
 * long run).
 *
 * @module
 */
import fc from 'fast-check';
import { MARIADB_OPTION_RULES } from '../../src/drivers/mysql/mariadb-options.js';
import { MYSQL2_OPTION_RULES } from '../../src/drivers/mysql/mysql2-options.js';
import { PG_OPTION_RULES } from '../../src/drivers/postgres/pg-options.js';
import { SQLITE_OPTION_RULES, SQLITE_URL_RULES } from '../../src/drivers/sqlite/sqlite-options.js';

/** In every secret; never in anything leakproof prints. */
export const TOKEN = 'Kq7Wv3tok';

/** The pieces of a generated URL, so a valid config can be re-pointed at a real server. */
export interface UrlParts {
  readonly scheme: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly host: string;
  readonly port: string | undefined;
  readonly database: string | undefined;
  readonly params: ReadonlyArray<readonly [string, string]>;
  /** Percent-encode the user and password (as one should), or write them raw. */
  readonly encode: boolean;
}

export interface GeneratedAlias {
  readonly url: UrlParts;
  /** `undefined`: the alias is the bare URL string. */
  readonly options: Readonly<Record<string, unknown>> | undefined;
  readonly driver: Readonly<Record<string, unknown>> | undefined;
}

const SCHEMES = ['mysql', 'mariadb', 'postgres', 'postgresql', 'sqlite', 'MySQL', 'oracle', 'http', ''];
const OPTION_NAMES = [
  'maxConnections',
  'acquireTimeout',
  'maxWaiting',
  'maxLifetime',
  'idleTimeout',
  'healthCheckAfter',
  'connectTimeout',
  'transactionPerRequest',
  'cancelOnAbort',
  'leakTimeout',
  'statementTimeout',
  'retryAfter',
  'strict',
  'client',
  'maxConection',
  'ssl',
];
const DRIVER_NAMES = [
  ...new Set([
    ...Object.keys(PG_OPTION_RULES),
    ...Object.keys(MYSQL2_OPTION_RULES),
    ...Object.keys(MARIADB_OPTION_RULES),
    ...Object.keys(SQLITE_OPTION_RULES),
    ...Object.keys(SQLITE_URL_RULES),
    'busy_timeout',
    'unknownOption',
    '__proto__',
    'constructor',
  ]),
];
const TLS_VALUES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
  'REQUIRED',
  'PREFERRED',
  'VERIFY_IDENTITY',
  'VERIFY_CA',
  'DISABLED',
  'system',
  '/etc/hostname',
  '/nope.pem',
];

/** Text that breaks URLs and parsers: delimiters, escapes, unicode, NUL, long runs. */
const nasty = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom(
    '@',
    '#',
    '/',
    '?',
    ':',
    '%',
    '%2',
    '%zz',
    '%40',
    '%23',
    ' ',
    '+',
    '&',
    '=',
    '\0',
    '\n',
    '[',
    ']',
    '..',
    '\u202e',
    '😀',
    'é',
  ),
  fc.string({ unit: fc.constantFrom('a', '@', '#', '/', ':', '%', '?', '&', '=', 'é', '1'), maxLength: 10 }),
);

/** Numbers as text and as values: right, wrong, huge, negative, NaN. */
const numberText = fc.oneof(
  fc.integer({ min: -5, max: 70_000 }).map(String),
  fc.constantFrom('0', '-1', 'NaN', 'Infinity', '1e9', '1.5', '0x10', '99999999999999999999', '', ' 5', '5 ', '٣'),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -10, max: 100_000 }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 31, 2 ** 53, Number.MAX_VALUE, 1.5),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  nasty,
  fc.constantFrom(...TLS_VALUES),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(
    fc.constantFrom('ca', 'key', 'cert', 'rejectUnauthorized', 'getTypeParser', 'x'),
    fc.oneof(fc.string({ maxLength: 4 }), fc.boolean(), fc.integer()),
    { maxKeys: 3 },
  ),
  fc.constant(() => undefined),
  fc.constant(Buffer.from('x')),
  fc.constant({ getTypeParser: () => String }),
  fc.bigInt({ min: -10n, max: 10n }),
);

/** A password that always holds the token, with URL-breaking characters around it. */
const password = fc.tuple(nasty, nasty).map(([before, after]) => `${before}${TOKEN}${after}`);

const paramValue = fc.oneof(numberText, nasty, fc.constantFrom('true', 'false', 'TRUE', '1', '0', 'yes', ...TLS_VALUES));
/** A credential parameter (`?password=`, `?sslpassword=`), its value holding the token, raw or encoded. */
const secretParam = fc
  .tuple(fc.constantFrom('password', 'sslpassword', 'passphrase'), password, fc.boolean())
  .map(([key, value, encode]) => [key, encode ? encodeURIComponent(value) : value] as const);
/** Objects whose reading throws: a getter, a Proxy. */
const hostile: fc.Arbitrary<unknown> = fc
  .constantFrom(
    () =>
      Object.defineProperty({}, 'url', {
        enumerable: true,
        get: () => {
          throw new Error(`getter ${TOKEN}`);
        },
      }),
    () =>
      new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error(`proxy ${TOKEN}`);
          },
        },
      ),
    () =>
      new Proxy(
        { url: 'sqlite:./x' },
        {
          get: () => {
            throw new Error(`proxy get ${TOKEN}`);
          },
        },
      ),
  )
  .map((make) => make());

/** Mostly right, sometimes wrong: so that both sides of the property are reached often. */
function mostly<T>(right: fc.Arbitrary<T>, wrong: fc.Arbitrary<T>, weight = 4): fc.Arbitrary<T> {
  return fc.oneof({ weight, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

const GOOD_PARAMS: ReadonlyArray<readonly [string, fc.Arbitrary<string>]> = [
  ['application_name', fc.constantFrom('shop', 'true', 'é')],
  ['sslmode', fc.constantFrom('disable', 'prefer', 'allow', 'require', 'no-verify')],
  ['ssl-mode', fc.constantFrom('DISABLED', 'PREFERRED', 'required')],
  ['keepAlive', fc.constantFrom('true', 'false')],
  ['enableKeepAlive', fc.constantFrom('1', '0', 'true')],
  ['lock_timeout', fc.integer({ min: 0, max: 10_000 }).map(String)],
  ['maxPreparedStatements', fc.integer({ min: 0, max: 100 }).map(String)],
  ['timezone', fc.constantFrom('Z', 'local', '+02:00')],
  ['busy_timeout', fc.integer({ min: 0, max: 5000 }).map(String)],
  ['charset', fc.constantFrom('utf8mb4', 'UTF8MB4_UNICODE_CI')],
  ['options', fc.constantFrom('-c search_path=public', '')],
];
const goodParam = fc.constantFrom(...GOOD_PARAMS).chain(([key, value]) => value.map((v) => [key, encodeURIComponent(v)] as const));

export const urlParts: fc.Arbitrary<UrlParts> = fc.record({
  scheme: mostly(fc.constantFrom('mysql', 'mariadb', 'postgres', 'postgresql', 'sqlite'), fc.constantFrom(...SCHEMES), 8),
  user: fc.option(mostly(fc.constantFrom('app', 'root', 'u'), nasty), { nil: undefined, freq: 6 }),
  password: fc.option(
    mostly(
      fc.string({ unit: fc.constantFrom('a', 'B', '7', '-', '_'), maxLength: 6 }).map((x) => `${x}${TOKEN}`),
      password,
      2,
    ),
    { nil: undefined, freq: 2 },
  ),
  host: mostly(fc.constantFrom('127.0.0.1', 'localhost', '[::1]', 'db.example'), fc.oneof(fc.constantFrom('', '256.1.1.1', '::1'), nasty)),
  port: fc.option(mostly(fc.integer({ min: 1, max: 65_535 }).map(String), numberText), { nil: undefined }),
  database: fc.option(mostly(fc.constantFrom('app', 'test', './x.sqlite3', ':memory:'), nasty), { nil: undefined, freq: 6 }),
  params: fc
    .tuple(
      fc.array(mostly(goodParam, fc.tuple(fc.oneof(fc.constantFrom(...DRIVER_NAMES), nasty), paramValue), 3), { maxLength: 3 }),
      fc.option(secretParam, { nil: undefined, freq: 6 }),
    )
    .map(([plain, secret]) => (secret === undefined ? plain : [...plain, secret])),
  encode: mostly(fc.constant(true), fc.constant(false), 2),
});

const GOOD_OPTIONS: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  maxConnections: fc.integer({ min: 1, max: 50 }),
  acquireTimeout: fc.integer({ min: 1, max: 20_000 }),
  maxWaiting: fc.integer({ min: 0, max: 100 }),
  maxLifetime: fc.constantFrom(0, 60_000, 1_800_000),
  idleTimeout: fc.integer({ min: 1, max: 60_000 }),
  healthCheckAfter: fc.integer({ min: 0, max: 5000 }),
  connectTimeout: fc.integer({ min: 1, max: 20_000 }),
  transactionPerRequest: fc.boolean(),
  cancelOnAbort: fc.boolean(),
  leakTimeout: fc.integer({ min: 0, max: 10_000 }),
  statementTimeout: fc.integer({ min: 0, max: 10_000 }),
  retryAfter: fc.integer({ min: 0, max: 5000 }),
  strict: fc.boolean(),
  client: fc.constantFrom('mysql2', 'mariadb'),
};
const goodOptions = fc
  .dictionary(fc.constantFrom(...Object.keys(GOOD_OPTIONS)), fc.constant(0), { maxKeys: 3 })
  .chain((keys) => fc.record(Object.fromEntries(Object.keys(keys).map((key) => [key, GOOD_OPTIONS[key]!]))));
const GOOD_DRIVER: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  application_name: fc.constantFrom('a', 'b'),
  keepAlive: fc.boolean(),
  enableKeepAlive: fc.boolean(),
  dateStrings: fc.boolean(),
  supportBigNumbers: fc.boolean(),
  typeCast: fc.constant(true),
  maxPreparedStatements: fc.integer({ min: 1, max: 64 }),
  types: fc.constant({ getTypeParser: () => String }),
  timezone: fc.constantFrom('Z', 'local'),
  readonly: fc.constant(false),
};
const goodDriver = fc
  .dictionary(fc.constantFrom(...Object.keys(GOOD_DRIVER)), fc.constant(0), { maxKeys: 2 })
  .chain((keys) => fc.record(Object.fromEntries(Object.keys(keys).map((key) => [key, GOOD_DRIVER[key]!]))));

export const generatedAlias: fc.Arbitrary<GeneratedAlias> = fc.record({
  url: urlParts,
  options: fc.option(
    mostly<Record<string, unknown>>(goodOptions, fc.dictionary(fc.constantFrom(...OPTION_NAMES), anyValue, { maxKeys: 4 }), 2),
    { nil: undefined },
  ),
  driver: fc.option(
    fc.oneof(
      { weight: 10, arbitrary: goodDriver },
      {
        weight: 10,
        arbitrary: fc
          .tuple(fc.dictionary(fc.constantFrom(...DRIVER_NAMES), anyValue, { maxKeys: 4 }), fc.option(password, { nil: undefined }))
          .map(([options, secret]) => (secret === undefined ? options : { ...options, password: secret })),
      },
      { weight: 1, arbitrary: hostile as fc.Arbitrary<Record<string, unknown>> },
    ),
    { nil: undefined, freq: 2 },
  ),
});

export interface GeneratedConfig {
  readonly aliases: ReadonlyArray<readonly [string, GeneratedAlias]>;
  /** Junk that stands in for the whole config, when not `undefined`. */
  readonly raw: unknown;
}

/** A whole `createDatabases` argument: usually a `default` alias, sometimes more or none, sometimes not an object. */
export const generatedConfig: fc.Arbitrary<GeneratedConfig> = fc.record({
  aliases: fc.array(
    fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constant('default') }, fc.constantFrom('replica', 'other', '')), generatedAlias),
    { minLength: 1, maxLength: 2 },
  ),
  raw: fc.oneof({ weight: 40, arbitrary: fc.constant(undefined) }, anyValue, hostile),
});

/** The URL text of the parts (raw or percent-encoded credentials, as generated). */
export function renderUrl(parts: UrlParts, override: Partial<UrlParts> = {}): string {
  const p = { ...parts, ...override };
  const enc = (text: string): string => (p.encode ? encodeURIComponent(text) : text);
  if (p.scheme.toLowerCase() === 'sqlite') {
    return `sqlite:${p.database ?? ''}${renderQuery(p.params)}`;
  }
  const auth = p.user === undefined ? '' : `${enc(p.user)}${p.password === undefined ? '' : `:${enc(p.password)}`}@`;
  const port = p.port === undefined ? '' : `:${p.port}`;
  return `${p.scheme}://${auth}${p.host}${port}/${p.database ?? ''}${renderQuery(p.params)}`;
}

function renderQuery(params: UrlParts['params']): string {
  if (params.length === 0) return '';
  return `?${params.map(([key, value]) => `${key}=${value}`).join('&')}`;
}

/** The alias as `createDatabases` takes it. */
export function renderAlias(alias: GeneratedAlias, override: Partial<UrlParts> = {}, extra: Record<string, unknown> = {}): unknown {
  const url = renderUrl(alias.url, override);
  if (alias.options === undefined && alias.driver === undefined && Object.keys(extra).length === 0) return url;
  return { ...alias.options, ...(alias.driver === undefined ? {} : { driver: alias.driver }), url, ...extra };
}

/** The config object, or the raw junk that stands in for it. */
export function renderConfig(config: GeneratedConfig): unknown {
  if (config.raw !== undefined) return config.raw;
  return Object.fromEntries(config.aliases.map(([name, alias]) => [name, renderAlias(alias)]));
}

/** Every form a leaked secret could take in a message. */
export function leaks(text: string): boolean {
  return text.includes(TOKEN) || text.includes(encodeURIComponent(TOKEN));
}
