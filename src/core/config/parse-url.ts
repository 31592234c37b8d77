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
    engine: 'sqlite', scheme, host: '', port: undefined, user: undefined, password: undefined,
    database: undefined, filename: decodeURIComponent(filename), params: searchParams(query),
  };
}

function parseNetworkUrl(url: string, scheme: string, engine: Engine): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the ${scheme}: URL is not a valid URL`);
  }
  if (parsed.hostname === '') throw new Error(`the ${scheme}: URL has no host`);
  const port = parsed.port === '' ? undefined : Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    engine, scheme,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    database: database === '' ? undefined : database,
    filename: undefined,
    params: searchParams(parsed.search.slice(1)),
  };
}

function searchParams(query: string): Readonly<Record<string, string>> {
  return Object.freeze(Object.fromEntries(new URLSearchParams(query)));
}

/** The URL with its password replaced, for messages and `stats()`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1:***@');
}
