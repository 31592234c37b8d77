/** The shared end-path suite (test/support/adapter-end-path-suite.ts) for express on postgres, the statements sent through Drizzle (leakproof/drizzle). */
import { adapterEndPaths } from './support/adapter-end-path-suite.js';
import { DRIZZLE } from './support/query-layers.js';

adapterEndPaths(['postgres'], 'express', DRIZZLE);
