/** The shared end-path suite (test/support/adapter-end-path-suite.ts) for fastify on postgres, the statements sent through Kysely (leakproof/kysely). */
import { adapterEndPaths } from './support/adapter-end-path-suite.js';
import { KYSELY } from './support/query-layers.js';

adapterEndPaths(['postgres'], 'fastify', KYSELY);
