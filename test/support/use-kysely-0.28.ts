/**
 * Imported first by a test file, before anything that imports `kysely`: from then on `kysely`
 * (and its subpaths) resolves to the `kysely-028` alias, npm:kysely@0.28, the Kysely of Node 20,
 * for leakproof's dialect and the tests alike (module hooks in kysely-0.28-hooks.mjs).
 */
import assert from 'node:assert/strict';
import { register } from 'node:module';

register('./kysely-0.28-hooks.mjs', import.meta.url);
assert.match(import.meta.resolve('kysely'), /\/node_modules\/kysely-028\//, 'kysely did not resolve to Kysely 0.28');
