/**
 * `bench_item` as data.ts creates it, described once for the ORM rows: each ORM's schema
 * (typeorm-source.ts, sequelize-source.ts, mikroorm-source.ts) is this list in its own terms.
 *
 * @module
 */
/** A `bench_item` row, under its column names. */
export interface Item {
  id: number;
  name: string;
  price_cents: number;
  description: string;
}

/** One column of `bench_item` as data.ts creates it: INT or VARCHAR(length), NOT NULL. */
export interface Column {
  readonly integer?: true;
  readonly primary?: true;
  readonly length?: number;
}

/** The table once; each ORM's schema below is this, in its own terms. */
export const COLUMNS: Readonly<Record<keyof Item, Column>> = {
  id: { integer: true, primary: true },
  name: { length: 64 },
  price_cents: { integer: true },
  description: { length: 255 },
};

export function columnsAs<T>(describe: (column: Column) => T): Record<keyof Item, T> {
  return Object.fromEntries(Object.entries(COLUMNS).map(([key, column]) => [key, describe(column)])) as Record<keyof Item, T>;
}
