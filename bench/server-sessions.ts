/**
 * What the databases themselves saw while a curve point ran: the most sessions of the bench's
 * user open at once (polled every 200 ms through the same definition of "the app's sessions"
 * the probe and the tests use), and on MariaDB the connects it refused for `max_connections`
 * (`Connection_errors_max_connections`). PostgreSQL keeps no such counter; a refused connect
 * would reach the server under test as an error, and so the load generator as a 500.
 *
 * @module
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { mysqlSessionsWhere } from '../src/drivers/mysql/sessions.js';
import { postgresSessionsWhere } from '../src/drivers/postgres/sessions.js';
import { addressOptions, serverAddress } from './config.js';

export interface SessionWatch {
  /** Stops polling; the peak session count and the refusals counted while watching. */
  stop(): Promise<{ peakSessions: number; refusals: number | undefined }>;
}

const POLL_MS = 200;

export async function watchSessions(url: string): Promise<SessionWatch> {
  const { user, database } = serverAddress(url);
  const isPostgres = url.startsWith('postgres');
  const reader = isPostgres ? await postgresReader(url, { user, database }) : await mysqlReader(url, { user, database });
  const refusalsBefore = await reader.refusals();
  let peak = 0;
  let polling = Promise.resolve();
  const timer = setInterval(() => {
    polling = polling.then(async () => {
      peak = Math.max(peak, await reader.sessions());
    });
  }, POLL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await polling;
      const refusalsAfter = await reader.refusals();
      await reader.close();
      return {
        peakSessions: peak,
        refusals: refusalsBefore === undefined || refusalsAfter === undefined ? undefined : refusalsAfter - refusalsBefore,
      };
    },
  };
}

interface Reader {
  sessions(): Promise<number>;
  refusals(): Promise<number | undefined>;
  close(): Promise<void>;
}

async function mysqlReader(url: string, filter: { user?: string | undefined; database?: string | undefined }): Promise<Reader> {
  const connection = await mysql.createConnection(addressOptions(url));
  const where = mysqlSessionsWhere(definedOnly(filter));
  return {
    async sessions() {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST p WHERE ${where.sql}`,
        where.params,
      );
      return Number(rows[0]!['n']);
    },
    async refusals() {
      const [rows] = await connection.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Connection_errors_max_connections'");
      return Number(rows[0]!['Value']);
    },
    close: () => connection.end(),
  };
}

async function postgresReader(url: string, filter: { user?: string | undefined; database?: string | undefined }): Promise<Reader> {
  const client = new pg.Client(addressOptions(url));
  await client.connect();
  const where = postgresSessionsWhere(definedOnly(filter));
  return {
    async sessions() {
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity p WHERE ${where.sql}`, where.params);
      return Number(result.rows[0]!.n);
    },
    refusals: () => Promise.resolve(undefined),
    close: () => client.end(),
  };
}

function definedOnly(filter: { user?: string | undefined; database?: string | undefined }): { user?: string; database?: string } {
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
}
