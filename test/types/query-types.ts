/**
 * Type-level checks, compiled by `npm run typecheck` (never run): `db.query<SomeInterface>()`
 * accepts an interface, as pg's `client.query<T>()` does, and the rows are typed by it.
 */
import { createDatabases } from '../../src/index.js';

interface Poll {
  id: number;
  question: string;
}
type Vote = { poll: number; choice: string };

const db = createDatabases({ default: 'sqlite:./never-opened.sqlite3' }).get();

export async function typedRows(): Promise<string> {
  const polls = await db.query<Poll>('SELECT id, question FROM poll');
  const votes = await db.query<Vote>('SELECT poll, choice FROM vote');
  await db.transaction(async (tx) => tx.query<Poll>('SELECT id, question FROM poll'));
  for await (const poll of db.stream<Poll>('SELECT id, question FROM poll')) void poll.question.toUpperCase();
  // @ts-expect-error a row type must be an object
  await db.query<string>('SELECT 1');
  // @ts-expect-error the rows are typed: no such column
  void polls[0]?.votes;
  return `${polls[0]?.question ?? ''}${votes[0]?.choice ?? ''}`;
}
