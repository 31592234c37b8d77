import type { Engine } from '../../src/index.js';

/**
 * Statements are written once with `?` placeholders; PostgreSQL's driver wants `$1, $2, …`.
 * (None of the example's statements has a `?` inside a string literal.)
 *
 * @example
 * placeholders('postgres')('SELECT * FROM polls_choice WHERE id = ?') // '… WHERE id = $1'
 */
export function placeholders(engine: Engine): (sql: string) => string {
  if (engine !== 'postgres') return (sql) => sql;
  return (sql) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
}
