/**
 * Checks what an alias passes on to its driver, URL query parameters and `driver: {...}`
 * options alike, against that driver's rules (`src/drivers/<engine>/*-options.ts`), and the
 * TLS parameters against each other. Every problem is collected for `CONFIG_INVALID`.
 *
 * @module
 */
import { checkOptions, type OptionRules } from '../../drivers/option-rules.js';
import { MARIADB_OPTION_RULES, MARIADB_URL_RULES } from '../../drivers/mysql/mariadb-options.js';
import { mysqlTlsProblems } from '../../drivers/mysql/mysql-tls.js';
import { MYSQL2_OPTION_RULES, MYSQL2_URL_RULES } from '../../drivers/mysql/mysql2-options.js';
import { PG_OPTION_RULES, pgTlsProblems } from '../../drivers/postgres/pg-options.js';
import { SQLITE_OPTION_RULES, SQLITE_URL_RULES } from '../../drivers/sqlite/sqlite-options.js';

type Client = 'mysql2' | 'mariadb' | 'pg' | 'better-sqlite3';

const RULES_BY_CLIENT: Readonly<
  Record<
    Client,
    {
      readonly url: OptionRules;
      readonly driver: OptionRules;
      readonly tls: (
        params: Readonly<Record<string, unknown>>,
        driver: Readonly<Record<string, unknown>>,
        host: string,
        client: Client,
      ) => string[];
    }
  >
> = {
  mysql2: { url: MYSQL2_URL_RULES, driver: MYSQL2_OPTION_RULES, tls: mysqlTlsProblems },
  mariadb: { url: MARIADB_URL_RULES, driver: MARIADB_OPTION_RULES, tls: mysqlTlsProblems },
  pg: { url: PG_OPTION_RULES, driver: PG_OPTION_RULES, tls: pgTlsProblems },
  'better-sqlite3': { url: SQLITE_URL_RULES, driver: SQLITE_OPTION_RULES, tls: () => [] },
};

/** Pushes one problem per bad, unknown or clashing URL parameter or driver option. */
export function checkDriverConfig(
  at: string,
  client: Client,
  host: string,
  params: Readonly<Record<string, string>>,
  driver: Readonly<Record<string, unknown>>,
  problems: string[],
): void {
  const rules = RULES_BY_CLIENT[client];
  const before = problems.length;
  checkOptions(rules.url, params, { kind: 'url', packageName: client }, at, problems);
  checkOptions(rules.driver, driver, { kind: 'driver', packageName: client }, at, problems);
  // TLS combinations only once each value is known to be of the right type.
  if (problems.length === before)
    for (const problem of rules.tls(params, driver, typeof driver['host'] === 'string' ? driver['host'] : host, client))
      problems.push(`${at} ${problem}`);
}
