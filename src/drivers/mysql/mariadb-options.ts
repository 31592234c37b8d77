/**
 * What the `mariadb` connector accepts, as URL parameters and `driver: {...}` options.
 *
 * @module
 */
import { is, oneOf, RULES, type OptionRules } from '../option-rules.js';
import { MYSQL_TLS_RULES } from './mysql-tls.js';

const BOOLEANS = [
  'allowPublicKeyRetrieval',
  'arrayParenthesis',
  'autoJsonMap',
  'bigIntAsNumber',
  'bigNumberStrings',
  'bitOneIsBoolean',
  'bulk',
  'checkDuplicate',
  'checkNumberRange',
  'compress',
  'dateStrings',
  'debug',
  'debugCompress',
  'decimalAsNumber',
  'enableKeepAlive',
  'forceVersionCheck',
  'foundRows',
  'fullResult',
  'insertIdAsNumber',
  'jsonStrings',
  'keepEof',
  'logParam',
  'metaAsArray',
  'metaEnumerable',
  'multipleStatements',
  'namedPlaceholders',
  'permitConnectionWhenExpired',
  'permitLocalInfile',
  'permitRedirect',
  'permitSetMultiParamEntries',
  'pipelining',
  'rowsAsArray',
  'supportBigNumbers',
  'trace',
] as const;

export const MARIADB_OPTION_RULES: OptionRules = {
  ...Object.fromEntries(BOOLEANS.map((name) => [name, RULES.boolean])),
  host: RULES.string,
  port: RULES.port,
  user: RULES.string,
  password: RULES.string,
  database: RULES.string,
  socketPath: RULES.string,
  charset: { type: 'string', pattern: /^[A-Za-z0-9_]{1,64}$/, expected: 'a charset name such as utf8mb4' },
  collation: { type: 'string', pattern: /^[A-Za-z0-9_]{1,64}$/, expected: 'a collation name such as UTF8MB4_UNICODE_CI' },
  charsetNumber: RULES.count(1, 65_535),
  timezone: {
    type: 'string',
    pattern: /^(?:local|auto|Z|[+-]\d\d:\d\d|[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*)$/,
    expected: '"local", "auto", "Z", an offset such as "+02:00" or an IANA zone',
  },
  socketTimeout: RULES.ms,
  queryTimeout: RULES.ms,
  keepAliveDelay: RULES.ms,
  keepAliveInitialDelay: RULES.ms,
  debugLen: RULES.count(1, 1_000_000),
  prepareCacheLength: RULES.count(0, 1_000_000),
  maxAllowedPacket: RULES.count(1024, 1_073_741_824),
  maxAllowedColumns: RULES.count(1, 1_000_000),
  nestTables: oneOf('true, false or a separator string', is.boolean, is.string),
  typeCast: RULES.function,
  initSql: oneOf('a string or an array of strings', is.string, is.stringArray),
  sessionVariables: RULES.object,
  connectAttributes: oneOf('true, false or an object', is.boolean, is.object),
  restrictedAuth: oneOf('a string or an array of plugin names', is.string, is.stringArray),
  rsaPublicKey: RULES.string,
  cachingRsaPublicKey: RULES.string,
  infileStreamFactory: RULES.function,
  logger: oneOf('a function or an object of functions', is.function, is.object),
  ssl: oneOf('true, false or an object of TLS options', is.boolean, is.object),
  ...MYSQL_TLS_RULES,
  connectTimeout: RULES.refused('use the connectTimeout option'),
  stream: RULES.refused('leakproof opens the socket itself'),
};

/** In a URL, `ssl` is `true` or `false`. */
export const MARIADB_URL_RULES: OptionRules = { ...MARIADB_OPTION_RULES, ssl: RULES.boolean };
