/**
 * The polls schema (Django's tutorial app, more or less), created and seeded on first run.
 * Plain SQL that SQLite, MariaDB/MySQL and PostgreSQL all accept.
 *
 * @module
 */
import { createDatabases, type Databases } from '../../src/index.js';
import { placeholders } from './sql.js';

const TABLES = [
  `CREATE TABLE IF NOT EXISTS polls_question (
     id INTEGER PRIMARY KEY,
     question_text VARCHAR(200) NOT NULL,
     total_votes INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE TABLE IF NOT EXISTS polls_choice (
     id INTEGER PRIMARY KEY,
     question_id INTEGER NOT NULL REFERENCES polls_question (id),
     choice_text VARCHAR(200) NOT NULL,
     votes INTEGER NOT NULL DEFAULT 0
   )`,
];

const SEED: readonly { question: string; choices: readonly string[] }[] = [
  { question: 'Tabs or spaces?', choices: ['Tabs', 'Spaces', 'Whatever the formatter says'] },
  { question: 'Which database do you run in production?', choices: ['PostgreSQL', 'MariaDB', 'MySQL', 'SQLite'] },
  { question: 'How many connections does your app hold right now?', choices: ['As many as it needs', 'No idea', 'All of them'] },
];

/**
 * Creates the tables if missing and seeds them if empty, on a pool of its own that is closed
 * before the app starts: the app's pool begins empty, so at rest it holds nothing.
 */
export async function prepareSchema(databaseUrl: string): Promise<void> {
  const dbs = createDatabases({ default: { url: databaseUrl, maxConnections: 1 } });
  try {
    await createAndSeed(dbs);
  } finally {
    await dbs.close();
  }
}

async function createAndSeed(dbs: Databases): Promise<void> {
  const db = dbs.get();
  const q = placeholders(dbs.options().engine);
  for (const statement of TABLES) await db.execute(statement);
  const [row] = await db.query('SELECT COUNT(*) AS n FROM polls_question');
  if (Number(row?.['n']) > 0) return;
  await db.transaction(async (tx) => {
    let choiceId = 0;
    for (const [index, { question, choices }] of SEED.entries()) {
      await tx.execute(q('INSERT INTO polls_question (id, question_text) VALUES (?, ?)'), [index + 1, question]);
      for (const choice of choices) {
        await tx.execute(q('INSERT INTO polls_choice (id, question_id, choice_text) VALUES (?, ?, ?)'), [++choiceId, index + 1, choice]);
      }
    }
  });
}
