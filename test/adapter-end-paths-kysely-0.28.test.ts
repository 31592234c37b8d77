/**
 * The shared end-path suite (test/support/adapter-end-path-suite.ts) for fastify on mariadb and
 * postgres, the statements sent through Kysely 0.28, the Kysely of Node 20.
 */
import './support/use-kysely-0.28.js';

const { adapterEndPaths } = await import('./support/adapter-end-path-suite.js');
const { KYSELY } = await import('./support/query-layers.js');

adapterEndPaths(['mariadb', 'postgres'], 'fastify', KYSELY);
