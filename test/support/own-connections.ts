/** The driver packages' own connections, opened from a test server's URL: the oracles leakproof's answers are held to. */
import * as mariadb from 'mariadb';
import mysql from 'mysql2/promise';
import pg from 'pg';

/** The mariadb connector's options for `url` (it takes no URL of its own), `extra` merged in. */
export function mariadbOptions(url: string, extra: Partial<mariadb.ConnectionConfig> = {}): mariadb.ConnectionConfig {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.slice(1),
    ...extra,
  };
}

/** `use` on a mysql2 connection of its own (its defaults, `options` merged in), ended afterwards. */
export async function withMysql2<T>(
  url: string,
  options: Partial<mysql.ConnectionOptions>,
  use: (c: mysql.Connection) => Promise<T>,
): Promise<T> {
  const connection = await mysql.createConnection({ uri: url, ...options });
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

/** `use` on a mariadb connector connection of its own, ended afterwards. */
export async function withMariadb<T>(
  url: string,
  options: Partial<mariadb.ConnectionConfig>,
  use: (c: mariadb.Connection) => Promise<T>,
): Promise<T> {
  const connection = await mariadb.createConnection(mariadbOptions(url, options));
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

/** `use` on a pg client of its own, ended afterwards. */
export async function withPg<T>(url: string, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
