/**
 * The polls queries in Kysely, over `leakproof/kysely`: inside a request each statement runs on
 * that request's own connection, which leakproof releases when the request ends, however it
 * ends. Results are typed from `Database` end to end.
 *
 * @module
 */
import { Kysely } from 'kysely';
import type { Databases } from '../../src/index.js';
import { LeakproofDialect } from '../../src/kysely/leakproof-dialect.js';
import { HttpError } from '../polls/http-error.js';
import type { Choice, Polls, Question } from '../polls/poll-store.js';
import type { Database } from './database.js';

export class KyselyPollStore implements Polls {
  readonly #kysely: Kysely<Database>;

  constructor(dbs: Databases) {
    this.#kysely = new Kysely<Database>({ dialect: new LeakproofDialect(dbs.get()) });
  }

  async questions(): Promise<Question[]> {
    const rows = await this.#kysely.selectFrom('polls_question').select(['id', 'question_text', 'total_votes']).orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, question: row.question_text, totalVotes: row.total_votes }));
  }

  async question(id: number): Promise<Question> {
    const row = await this.#kysely
      .selectFrom('polls_question')
      .select(['id', 'question_text', 'total_votes'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new HttpError(404, `no question ${id}`);
    return { id: row.id, question: row.question_text, totalVotes: row.total_votes };
  }

  async detail(id: number): Promise<Question & { choices: Choice[] }> {
    return { ...(await this.question(id)), choices: await this.choices(id) };
  }

  async choices(questionId: number): Promise<Choice[]> {
    const rows = await this.#kysely
      .selectFrom('polls_choice')
      .select(['id', 'choice_text', 'votes'])
      .where('question_id', '=', questionId)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ id: row.id, choice: row.choice_text, votes: row.votes }));
  }

  /** A leakproof transaction underneath: rolled back by the throw, or when the client leaves. */
  async vote(questionId: number, choiceId: number): Promise<void> {
    await this.#kysely.transaction().execute(async (trx) => {
      const { numUpdatedRows } = await trx
        .updateTable('polls_choice')
        .set((eb) => ({ votes: eb('votes', '+', 1) }))
        .where('id', '=', choiceId)
        .where('question_id', '=', questionId)
        .executeTakeFirst();
      if (numUpdatedRows !== 1n) throw new HttpError(400, `question ${questionId} has no choice ${choiceId}`);
      await trx
        .updateTable('polls_question')
        .set((eb) => ({ total_votes: eb('total_votes', '+', 1) }))
        .where('id', '=', questionId)
        .execute();
    });
  }
}
