import type { Engine } from '../../drivers/driver.js';

/** What a database URL says, before options are merged in. */
export interface ParsedUrl {
  readonly engine: Engine;
  /** The scheme as written, e.g. `mariadb`. */
  readonly scheme: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  readonly filename: string | undefined;
  readonly params: Readonly<Record<string, string>>;
}

const ENGINES: Readonly<Record<string, Engine>> = {
  mysql: 'mysql',
  mariadb: 'mysql',
  postgres: 'postgres',
  postgresql: 'postgres',
  sqlite: 'sqlite',
};

/**
 * Parses `mysql://user:pass@host:3306/db?x=y`, `postgres://…`, `sqlite:./file.sqlite3`,
 * `sqlite:///abs/path.sqlite3` or `sqlite::memory:`. Throws a plain `Error` whose message never
 * contains the URL (it may hold a password); callers collect it into `CONFIG_INVALID`.
 */
export function parseDatabaseUrl(url: string): ParsedUrl {
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon).toLowerCase() : '';
  const engine = ENGINES[scheme];
  if (engine === undefined) {
    throw new Error(`unsupported URL scheme "${scheme.slice(0, 20)}:" (use mysql:, mariadb:, postgres:, postgresql: or sqlite:)`);
  }
  return engine === 'sqlite' ? parseSqliteUrl(url, scheme) : parseNetworkUrl(url, scheme, engine);
}

function parseSqliteUrl(url: string, scheme: string): ParsedUrl {
  const [pathPart = '', query = ''] = url.slice(scheme.length + 1).split('?', 2);
  // sqlite:///abs → /abs ; sqlite://./rel → ./rel ; sqlite:./rel and sqlite::memory: as written.
  const filename = pathPart.startsWith('//') ? pathPart.slice(2) : pathPart;
  if (filename === '') throw new Error('sqlite URL has no file name (use sqlite:./app.sqlite3 or sqlite::memory:)');
  return {
    engine: 'sqlite',
    scheme,
    host: '',
    port: undefined,
    user: undefined,
    password: undefined,
    database: undefined,
    filename: decodeComponent(filename, scheme, 'file name'),
    params: searchParams(query, scheme),
  };
}

function parseNetworkUrl(url: string, scheme: string, engine: Engine): ParsedUrl {
  checkDelimiters(url, scheme);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the ${scheme}: URL is not a valid URL (expected ${scheme}://user:password@host:port/database); ${PERCENT_ENCODE}`);
  }
  if (parsed.hostname === '') throw new Error(`the ${scheme}: URL has no host`);
  const port = parsed.port === '' ? undefined : Number(parsed.port);
  const database = decodeComponent(parsed.pathname.replace(/^\//, ''), scheme, 'database name');
  return {
    engine,
    scheme,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: parsed.username === '' ? undefined : decodeComponent(parsed.username, scheme, 'user name'),
    password: parsed.password === '' ? undefined : decodeComponent(parsed.password, scheme, 'password'),
    database: database === '' ? undefined : database,
    filename: undefined,
    params: searchParams(parsed.search.slice(1), scheme),
  };
}

const PERCENT_ENCODE =
  'if the password (or user name) contains any of @ # / ? : % or a space, percent-encode it (encodeURIComponent(password))';

/**
 * A password with an unencoded `#`, `/` or `?` ends the URL's authority early: a URL parser
 * then reads part of the password as the host, the port, the path or the fragment, and that
 * part would be shown in messages as such. The last `@` marks where the user information
 * really ends, so any of these before it (or a `#` anywhere: database URLs have no fragment)
 * is refused here, before parsing, in words that name no part of the URL.
 */
function checkDelimiters(url: string, scheme: string): void {
  const rest = url.slice(url.indexOf(':') + 1).replace(/^\/\//, '');
  if (rest.includes('#')) {
    throw new Error(
      `the ${scheme}: URL contains a "#" (nothing in a database URL may follow a #): percent-encode it as %23; ${PERCENT_ENCODE}`,
    );
  }
  const at = rest.lastIndexOf('@');
  const delimiter = rest.search(/[/?]/);
  if (at !== -1 && delimiter !== -1 && delimiter < at) {
    throw new Error(
      `the ${scheme}: URL has an unencoded "@" after its host, or a "/" or "?" in its user information: percent-encode it (@ as %40, / as %2F, ? as %3F); ${PERCENT_ENCODE}`,
    );
  }
}

function decodeComponent(text: string, scheme: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(
      `the ${scheme}: URL's ${what} has a "%" that does not start a percent-encoded character: write a literal % as %25; ${PERCENT_ENCODE}`,
    );
  }
}

function searchParams(query: string, scheme: string): Readonly<Record<string, string>> {
  const params: Record<string, string> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = decodeComponent((equals === -1 ? part : part.slice(0, equals)).replace(/\+/g, ' '), scheme, 'query');
    const value = equals === -1 ? '' : decodeComponent(part.slice(equals + 1).replace(/\+/g, ' '), scheme, 'query');
    // A parameter given twice is a mistake the driver would silently resolve one way or another.
    if (Object.hasOwn(params, key)) {
      const name = /password|pass|pwd|secret|token/i.test(query) ? 'a query parameter' : `the query parameter "${key.slice(0, 40)}"`;
      throw new Error(`the ${scheme}: URL gives ${name} twice (an "&" in a password must be percent-encoded as %26)`);
    }
    params[key] = value;
  }
  return Object.freeze(params);
}
