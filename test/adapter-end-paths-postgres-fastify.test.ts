/** The shared end-path suite (test/support/adapter-end-path-suite.ts) for fastify on postgres. */
import { adapterEndPaths } from './support/adapter-end-path-suite.js';

adapterEndPaths(['postgres'], 'fastify');
