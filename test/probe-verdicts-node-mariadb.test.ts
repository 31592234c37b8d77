/**
 * The probe's verdicts with no flag but --db on fixture servers in processes of their own, on
 * mariadb: the Node fixture servers' short runs. See test/support/probe-fixture-suite.ts.
 */
import { probeFixtureSuite } from './support/probe-fixture-suite.js';

probeFixtureSuite('mariadb', 'node');
