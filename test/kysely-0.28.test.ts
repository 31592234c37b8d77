/**
 * leakproof/kysely on Kysely 0.28, the last line that runs on Node 20 (0.29 declares Node ≥ 22):
 * every test of test/kysely.test.ts again, with `kysely` resolved to Kysely 0.28.
 */
import './support/use-kysely-0.28.js';

await import('./kysely.test.js');
