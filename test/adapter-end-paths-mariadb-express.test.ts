/** The shared end-path suite (test/support/adapter-end-path-suite.ts) for express on mariadb. */
import { adapterEndPaths } from './support/adapter-end-path-suite.js';

adapterEndPaths(['mariadb'], 'express');
