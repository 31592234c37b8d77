/**
 * The polls tables as Kysely sees them: the typed `Database` interface every query of
 * kysely-poll-store.ts is checked against (column names, types, what an insert may omit).
 *
 * @module
 */
import type { Generated } from 'kysely';

export interface QuestionTable {
  id: Generated<number>;
  question_text: string;
  total_votes: Generated<number>;
}

export interface ChoiceTable {
  id: Generated<number>;
  question_id: number;
  choice_text: string;
  votes: Generated<number>;
}

export interface Database {
  polls_question: QuestionTable;
  polls_choice: ChoiceTable;
}
