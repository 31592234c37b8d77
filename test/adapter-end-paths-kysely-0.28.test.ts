/**
 * The shared end-path suite (test/support/adapter-end-path-suite.ts) for fastify on mariadb and
 * postgres, the statements sent through Kysely 0.28, the Kysely of Node 20: `kysely` resolves to
 * the `kysely-028` alias, as in test/kysely-0.28.test.ts.
 */
import assert from 'node:assert/strict';
import { register } from 'node:module';

register('./support/kysely-0.28-hooks.mjs', import.meta.url);
assert.match(import.meta.resolve('kysely'), /\/node_modules\/kysely-028\//, 'kysely did not resolve to Kysely 0.28');
const { adapterEndPaths } = await import('./support/adapter-end-path-suite.js');
const { KYSELY } = await import('./support/query-layers.js');

adapterEndPaths(['mariadb', 'postgres'], 'fastify', KYSELY);
