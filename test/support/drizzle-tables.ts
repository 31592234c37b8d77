/**
 * The Drizzle tables the Drizzle tests use, per engine: `items` (id, label) and `tags` (id,
 * item_id, name) with their relations, and the DDL that makes them. Both tables have an `id`,
 * so a join selects two columns of that name.
 */
import { relations } from 'drizzle-orm';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { integer as pgInteger, pgTable, serial, varchar as pgVarchar } from 'drizzle-orm/pg-core';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { EngineName } from './dialect.js';

export function mysqlTables<P extends string>(prefix: P) {
  const items = mysqlTable(`${prefix}_items`, {
    id: int('id').autoincrement().primaryKey(),
    label: varchar('label', { length: 100 }).notNull(),
  });
  const tags = mysqlTable(`${prefix}_tags`, {
    id: int('id').autoincrement().primaryKey(),
    itemId: int('item_id').notNull(),
    name: varchar('name', { length: 100 }).notNull(),
  });
  const itemsRelations = relations(items, ({ many }) => ({ tags: many(tags) }));
  const tagsRelations = relations(tags, ({ one }) => ({ item: one(items, { fields: [tags.itemId], references: [items.id] }) }));
  return { items, tags, itemsRelations, tagsRelations };
}

export function pgTables<P extends string>(prefix: P) {
  const items = pgTable(`${prefix}_items`, { id: serial('id').primaryKey(), label: pgVarchar('label', { length: 100 }).notNull() });
  const tags = pgTable(`${prefix}_tags`, {
    id: serial('id').primaryKey(),
    itemId: pgInteger('item_id').notNull(),
    name: pgVarchar('name', { length: 100 }).notNull(),
  });
  const itemsRelations = relations(items, ({ many }) => ({ tags: many(tags) }));
  const tagsRelations = relations(tags, ({ one }) => ({ item: one(items, { fields: [tags.itemId], references: [items.id] }) }));
  return { items, tags, itemsRelations, tagsRelations };
}

export function sqliteTables<P extends string>(prefix: P) {
  const items = sqliteTable(`${prefix}_items`, { id: integer('id').primaryKey({ autoIncrement: true }), label: text('label').notNull() });
  const tags = sqliteTable(`${prefix}_tags`, {
    id: integer('id').primaryKey({ autoIncrement: true }),
    itemId: integer('item_id').notNull(),
    name: text('name').notNull(),
  });
  const itemsRelations = relations(items, ({ many }) => ({ tags: many(tags) }));
  const tagsRelations = relations(tags, ({ one }) => ({ item: one(items, { fields: [tags.itemId], references: [items.id] }) }));
  return { items, tags, itemsRelations, tagsRelations };
}

/** DROP and CREATE TABLE statements for both tables. */
export function drizzleDdl(engine: EngineName, prefix: string): string[] {
  const auto =
    engine === 'mariadb'
      ? 'INT AUTO_INCREMENT PRIMARY KEY'
      : engine === 'postgres'
        ? 'SERIAL PRIMARY KEY'
        : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  return [
    ...dropDrizzleTables(prefix),
    `CREATE TABLE ${prefix}_items (id ${auto}, label VARCHAR(100) NOT NULL)`,
    `CREATE TABLE ${prefix}_tags (id ${auto}, item_id INT NOT NULL, name VARCHAR(100) NOT NULL)`,
  ];
}

export function dropDrizzleTables(prefix: string): string[] {
  return [`DROP TABLE IF EXISTS ${prefix}_tags`, `DROP TABLE IF EXISTS ${prefix}_items`];
}

/** Empties both tables, restarting their ids, and puts back the same rows: item 1 tagged twice, item 2 without a tag. */
export function refillStatements(engine: EngineName, prefix: string): string[] {
  const tables = [`${prefix}_tags`, `${prefix}_items`];
  const empty =
    engine === 'postgres'
      ? [`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`]
      : engine === 'mariadb'
        ? tables.map((t) => `TRUNCATE TABLE ${t}`)
        : [...tables.map((t) => `DELETE FROM ${t}`), `DELETE FROM sqlite_sequence WHERE name IN ('${tables.join("', '")}')`];
  return [
    ...empty,
    `INSERT INTO ${prefix}_items (label) VALUES ('first'), ('second')`,
    `INSERT INTO ${prefix}_tags (item_id, name) VALUES (1, 'red'), (1, 'blue')`,
  ];
}
