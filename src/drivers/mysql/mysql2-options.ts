/**
 * What `mysql2` accepts, as URL parameters and `driver: {...}` options.
 *
 * @module
 */
import { is, oneOf, RULES, type OptionRules } from '../option-rules.js';
import { MYSQL_TLS_RULES } from './mysql-tls.js';

const TIMEZONE = {
  type: 'string',
  pattern: /^(?:local|Z|[ +-]\d\d:\d\d)$/,
  expected: '"local", "Z" or an offset such as "+02:00"',
} as const;

export const MYSQL2_OPTION_RULES: OptionRules = {
  host: RULES.string,
  port: RULES.port,
  user: RULES.string,
  password: RULES.string,
  password1: RULES.string,
  password2: RULES.string,
  password3: RULES.string,
  passwordSha1: RULES.string,
  database: RULES.string,
  localAddress: RULES.string,
  socketPath: RULES.string,
  charset: { type: 'string', pattern: /^[A-Za-z0-9_]{1,64}$/, expected: 'a charset or collation name such as UTF8MB4_UNICODE_CI' },
  charsetNumber: RULES.count(1, 65_535),
  timezone: TIMEZONE,
  insecureAuth: RULES.boolean,
  supportBigNumbers: RULES.boolean,
  bigNumberStrings: RULES.boolean,
  decimalNumbers: RULES.boolean,
  dateStrings: oneOf('true, false or an array of type names', is.boolean, is.stringArray),
  debug: oneOf('true, false or an array of packet names', is.boolean, is.stringArray),
  trace: RULES.boolean,
  stringifyObjects: RULES.boolean,
  enableKeepAlive: RULES.boolean,
  keepAliveInitialDelay: RULES.ms,
  multipleStatements: RULES.boolean,
  rowsAsArray: RULES.boolean,
  namedPlaceholders: RULES.boolean,
  nestTables: oneOf('true, false or a separator string', is.boolean, is.string),
  typeCast: oneOf('true, false or a function', is.boolean, is.function),
  queryFormat: RULES.function,
  compress: RULES.boolean,
  disableEval: RULES.boolean,
  enableCleartextPlugin: RULES.boolean,
  jsonStrings: RULES.boolean,
  gracefulEnd: RULES.boolean,
  maxPreparedStatements: RULES.count(1, 1_000_000),
  flags: oneOf('a string or an array of flag names', is.string, is.stringArray),
  connectAttributes: RULES.object,
  authPlugins: RULES.object,
  authSwitchHandler: RULES.function,
  infileStreamFactory: RULES.function,
  ssl: oneOf('an object of TLS options or an SSL profile name such as "Amazon RDS"', is.object, (value) => value === 'Amazon RDS'),
  ...MYSQL_TLS_RULES,
  connectTimeout: RULES.refused('use the connectTimeout option'),
  uri: RULES.refused('give the connection string as the url'),
  stream: RULES.refused('leakproof opens the socket itself'),
  isServer: RULES.refused('leakproof is a client'),
  pool: RULES.refused('leakproof is the pool'),
  connectionLimit: RULES.refused('use maxConnections'),
  maxIdle: RULES.refused('leakproof is the pool'),
  idleTimeout: RULES.refused('use the idleTimeout option'),
  queueLimit: RULES.refused('use maxWaiting'),
  waitForConnections: RULES.refused('leakproof is the pool'),
  resetOnRelease: RULES.refused('leakproof is the pool'),
  Promise: RULES.refused('leakproof uses the built-in Promise'),
};

/** In a URL, mysql2's `ssl` is `true`/`false` or a profile name. */
export const MYSQL2_URL_RULES: OptionRules = {
  ...MYSQL2_OPTION_RULES,
  ssl: { type: 'string', pattern: /^(true|false|Amazon RDS)$/, expected: 'true, false or "Amazon RDS" (or use ssl-mode)' },
};
