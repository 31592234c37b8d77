/**
 * The polls tables as Drizzle sees them (MySQL/MariaDB): the schema every query of
 * drizzle-poll-store.ts is typed from. The tables themselves are made by examples/polls/schema.ts.
 *
 * @module
 */
import { relations } from 'drizzle-orm';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';

export const question = mysqlTable('polls_question', {
  id: int('id').primaryKey(),
  questionText: varchar('question_text', { length: 200 }).notNull(),
  totalVotes: int('total_votes').notNull().default(0),
});

export const choice = mysqlTable('polls_choice', {
  id: int('id').primaryKey(),
  questionId: int('question_id')
    .notNull()
    .references(() => question.id),
  choiceText: varchar('choice_text', { length: 200 }).notNull(),
  votes: int('votes').notNull().default(0),
});

export const questionRelations = relations(question, ({ many }) => ({ choices: many(choice) }));
export const choiceRelations = relations(choice, ({ one }) => ({
  question: one(question, { fields: [choice.questionId], references: [question.id] }),
}));
