/** Setting up and tearing down a test's tables, on a connection of their own. */
import { createDatabases } from '../../src/index.js';

/** Runs `statements` one after another on `url`, in one scope, on a connection closed afterwards. */
export async function runStatements(url: string, statements: readonly string[]): Promise<void> {
  const own = createDatabases({ default: { url, maxLifetime: 0 } });
  try {
    await own.run(async () => {
      for (const statement of statements) await own.get().execute(statement);
    });
  } finally {
    await own.close();
  }
}
