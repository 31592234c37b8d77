/**
 * The shared end-path suite (test/support/adapter-end-path-suite.ts) for node:http on
 * PostgreSQL behind PgBouncer in transaction mode, leakproof told so (`pooler: 'transaction'`):
 * every end path releases, counted as PgBouncer's clients of the app.
 */
import { adapterEndPaths } from './support/adapter-end-path-suite.js';

adapterEndPaths(['postgres-pgbouncer'], 'node:http');
