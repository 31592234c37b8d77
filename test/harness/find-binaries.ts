/**
 * Where the database server binaries are, so tests can skip (or fail, with
 * `LEAKPROOF_REQUIRE_DB=1`) on machines without them instead of erroring obscurely.
 *
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from './test-server.js';

export interface MariadbBinaries {
  readonly mariadbd: string;
  readonly installDb: string;
}

export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

/** `mariadbd` and `mariadb-install-db`, from `LEAKPROOF_MARIADB_BIN_DIR` if set, else the usual places and PATH. */
export function mariadbBinaries(): MariadbBinaries | undefined {
  const dirs = envDir('LEAKPROOF_MARIADB_BIN_DIR') ?? ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...pathDirs()];
  const mariadbd = findIn(dirs, 'mariadbd');
  const installDb = findIn(dirs, 'mariadb-install-db');
  return mariadbd && installDb ? { mariadbd, installDb } : undefined;
}

/** `initdb` and `postgres`, from `LEAKPROOF_POSTGRES_BIN_DIR` if set, else the newest Debian version or PATH. */
export function postgresBinaries(): PostgresBinaries | undefined {
  const dirs = envDir('LEAKPROOF_POSTGRES_BIN_DIR') ?? [...debianPostgresDirs(), '/usr/local/pgsql/bin', ...pathDirs()];
  const initdb = findIn(dirs, 'initdb');
  const postgres = initdb === undefined ? undefined : join(initdb, '..', 'postgres');
  return initdb && postgres && existsSync(postgres) ? { initdb, postgres } : undefined;
}

/** Why `engine` cannot run here, or `undefined` if it can. */
export function missingBinaries(engine: Engine): string | undefined {
  if (engine === 'mariadb') {
    return mariadbBinaries()
      ? undefined
      : 'MariaDB server binaries (mariadbd, mariadb-install-db) not found; set LEAKPROOF_MARIADB_BIN_DIR or install mariadb-server';
  }
  return postgresBinaries()
    ? undefined
    : 'PostgreSQL server binaries (initdb, postgres) not found; set LEAKPROOF_POSTGRES_BIN_DIR or install postgresql';
}

function findIn(dirs: readonly string[], name: string): string | undefined {
  return dirs.map((dir) => join(dir, name)).find((file) => existsSync(file));
}

/** An explicitly configured directory is the only place looked in (so a wrong one is noticed). */
function envDir(name: string): string[] | undefined {
  const value = process.env[name];
  return value ? [value] : undefined;
}

function pathDirs(): string[] {
  return (process.env['PATH'] ?? '').split(':').filter((dir) => dir !== '');
}

function debianPostgresDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name));
  return versions.sort((a, b) => Number(b) - Number(a)).map((version) => join(root, version, 'bin'));
}
