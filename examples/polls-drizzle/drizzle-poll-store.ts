/**
 * The polls queries in Drizzle, over `leakproof/drizzle` (MySQL/MariaDB): inside a request each
 * statement runs on that request's own connection, which leakproof releases when the request
 * ends, however it ends. Results are typed from the schema end to end.
 *
 * @module
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Databases } from '../../src/index.js';
import { drizzle, type LeakproofMySqlDatabase } from '../../src/drizzle/drizzle.js';
import { HttpError } from '../polls/http-error.js';
import type { Choice, Polls, Question } from '../polls/poll-store.js';
import * as schema from './schema.js';

const { choice, question } = schema;

export class DrizzlePollStore implements Polls {
  readonly #orm: LeakproofMySqlDatabase<typeof schema>;

  constructor(dbs: Databases) {
    this.#orm = drizzle(dbs.get(), { schema, dialect: 'mysql' });
  }

  async questions(): Promise<Question[]> {
    const rows = await this.#orm.select().from(question).orderBy(asc(question.id));
    return rows.map((row) => ({ id: row.id, question: row.questionText, totalVotes: row.totalVotes }));
  }

  async question(id: number): Promise<Question> {
    const [row] = await this.#orm.select().from(question).where(eq(question.id, id));
    if (row === undefined) throw new HttpError(404, `no question ${id}`);
    return { id: row.id, question: row.questionText, totalVotes: row.totalVotes };
  }

  /**
   * One query: the question joined to its choices. Both tables have an `id`; the rows come as
   * arrays, so each keeps its own.
   */
  async detail(id: number): Promise<Question & { choices: Choice[] }> {
    const rows = await this.#orm
      .select()
      .from(question)
      .leftJoin(choice, eq(choice.questionId, question.id))
      .where(eq(question.id, id))
      .orderBy(asc(choice.id));
    const first = rows[0];
    if (first === undefined) throw new HttpError(404, `no question ${id}`);
    const choices = rows.flatMap(({ polls_choice: c }) => (c === null ? [] : [{ id: c.id, choice: c.choiceText, votes: c.votes }]));
    return {
      id: first.polls_question.id,
      question: first.polls_question.questionText,
      totalVotes: first.polls_question.totalVotes,
      choices,
    };
  }

  async choices(questionId: number): Promise<Choice[]> {
    const rows = await this.#orm.select().from(choice).where(eq(choice.questionId, questionId)).orderBy(asc(choice.id));
    return rows.map((row) => ({ id: row.id, choice: row.choiceText, votes: row.votes }));
  }

  /** A leakproof transaction underneath: rolled back by the throw, or when the client leaves. */
  async vote(questionId: number, choiceId: number): Promise<void> {
    await this.#orm.transaction(async (tx) => {
      const [updated] = await tx
        .update(choice)
        .set({ votes: sql`${choice.votes} + 1` })
        .where(and(eq(choice.id, choiceId), eq(choice.questionId, questionId)));
      if (updated.affectedRows !== 1) throw new HttpError(400, `question ${questionId} has no choice ${choiceId}`);
      await tx
        .update(question)
        .set({ totalVotes: sql`${question.totalVotes} + 1` })
        .where(eq(question.id, questionId));
    });
  }
}
