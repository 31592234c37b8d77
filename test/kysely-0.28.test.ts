/**
 * leakproof/kysely on Kysely 0.28, the last line that runs on Node 20 (0.29 declares Node ≥ 22):
 * every test of test/kysely.test.ts again, with `kysely` resolved to the `kysely-028` alias
 * (npm:kysely@0.28) for leakproof's dialect and the tests alike.
 */
import assert from 'node:assert/strict';
import { register } from 'node:module';

register('./support/kysely-0.28-hooks.mjs', import.meta.url);
assert.match(import.meta.resolve('kysely'), /\/node_modules\/kysely-028\//, 'kysely did not resolve to Kysely 0.28');
await import('./kysely.test.js');
