import {
  createTableRelationsHelpers,
  DefaultLogger,
  extractTablesRelationalConfig,
  type DrizzleConfig,
  type Logger,
  type RelationalSchemaConfig,
  type TablesRelationalConfig,
} from 'drizzle-orm';
import { UsageError } from '../errors/errors.js';

/** The parts of a drizzle config every engine's session takes, made the way drizzle's own drivers make them. */
export interface SessionParts {
  readonly logger: Logger | undefined;
  readonly relations: RelationalSchemaConfig<TablesRelationalConfig> | undefined;
}

export function sessionParts<S extends Record<string, unknown>>(config: DrizzleConfig<S>): SessionParts {
  const logger = config.logger === true ? new DefaultLogger() : config.logger === false ? undefined : config.logger;
  if (config.schema === undefined) return { logger, relations: undefined };
  const tables = extractTablesRelationalConfig(config.schema, createTableRelationsHelpers);
  return { logger, relations: { fullSchema: config.schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap } };
}

/**
 * leakproof begins every transaction the same way, and under transactionPerRequest a Drizzle
 * transaction is a savepoint where none of these can be set: refused, never silently dropped.
 */
export function refuseTransactionConfig(config: object | undefined, allowed: Readonly<Record<string, unknown>> = {}): void {
  const asked = Object.entries(config ?? {}).filter(([key, value]) => value !== undefined && allowed[key] !== value);
  if (asked.length === 0) return;
  const named = asked.map(([key, value]) => `${key} ${JSON.stringify(value)}`).join(', ');
  throw new UsageError(
    'QUERY_BUILDER_UNSUPPORTED',
    `a Drizzle transaction asked for ${named}, which leakproof's transactions do not set; run "SET TRANSACTION ..." as the transaction's first statement where the engine allows it`,
  );
}
