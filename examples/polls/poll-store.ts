/**
 * The polls queries. Every call goes through `dbs.get()`: inside a request it runs on that
 * request's own connection, which leakproof releases when the request ends, however it ends.
 *
 * @module
 */
import type { Database, Databases } from '../../src/index.js';
import { HttpError } from './http-error.js';
import { placeholders } from './sql.js';

export interface Question {
  readonly id: number;
  readonly question: string;
  readonly totalVotes: number;
}

export interface Choice {
  readonly id: number;
  readonly choice: string;
  readonly votes: number;
}

/** What every polls app asks of its store: raw SQL here, Kysely or Drizzle in examples/polls-kysely and polls-drizzle. */
export interface Polls {
  questions(): Promise<Question[]>;
  /** The question, or a 404. */
  question(id: number): Promise<Question>;
  /** The question with its choices, or a 404. */
  detail(id: number): Promise<Question & { choices: Choice[] }>;
  choices(questionId: number): Promise<Choice[]>;
  /** One vote, in a transaction; a 400 for a choice of another question. */
  vote(questionId: number, choiceId: number): Promise<void>;
}

export class PollStore implements Polls {
  readonly #db: Database;
  readonly #q: (sql: string) => string;

  constructor(dbs: Databases) {
    this.#db = dbs.get();
    this.#q = placeholders(dbs.options().engine);
  }

  async questions(): Promise<Question[]> {
    const rows = await this.#db.query('SELECT id, question_text, total_votes FROM polls_question ORDER BY id');
    return rows.map(toQuestion);
  }

  /** The question, or a 404. */
  async question(id: number): Promise<Question> {
    const [row] = await this.#db.query(this.#q('SELECT id, question_text, total_votes FROM polls_question WHERE id = ?'), [id]);
    if (row === undefined) throw new HttpError(404, `no question ${id}`);
    return toQuestion(row);
  }

  /** The question with its choices, or a 404. */
  async detail(id: number): Promise<Question & { choices: Choice[] }> {
    const question = await this.question(id);
    return { ...question, choices: await this.choices(id) };
  }

  async choices(questionId: number): Promise<Choice[]> {
    const rows = await this.#db.query(this.#q('SELECT id, choice_text, votes FROM polls_choice WHERE question_id = ? ORDER BY id'), [
      questionId,
    ]);
    return rows.map((row) => ({ id: Number(row['id']), choice: String(row['choice_text']), votes: Number(row['votes']) }));
  }

  /**
   * One vote, in a transaction: the choice's count and the question's total move together, or
   * neither does (a choice of another question throws inside, which rolls back).
   */
  async vote(questionId: number, choiceId: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const { rowsAffected } = await tx.execute(this.#q('UPDATE polls_choice SET votes = votes + 1 WHERE id = ? AND question_id = ?'), [
        choiceId,
        questionId,
      ]);
      if (rowsAffected !== 1) throw new HttpError(400, `question ${questionId} has no choice ${choiceId}`);
      await tx.execute(this.#q('UPDATE polls_question SET total_votes = total_votes + 1 WHERE id = ?'), [questionId]);
    });
  }
}

function toQuestion(row: Record<string, unknown>): Question {
  return { id: Number(row['id']), question: String(row['question_text']), totalVotes: Number(row['total_votes']) };
}
