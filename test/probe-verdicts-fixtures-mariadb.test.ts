/**
 * The probe's verdicts with no flag but --db on fixture servers in processes of their own
 * (Node and Python), on mariadb: see test/support/probe-fixture-suite.ts.
 */
import { probeFixtureSuite } from './support/probe-fixture-suite.js';

probeFixtureSuite('mariadb');
