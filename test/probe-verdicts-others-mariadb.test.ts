/**
 * The probe's verdicts with no flag but --db on fixture servers in processes of their own, on
 * mariadb: the runs with the probe's defaults, the Python fixture servers, a wrong URL and a wrong --db database. See test/support/probe-fixture-suite.ts.
 */
import { probeFixtureSuite } from './support/probe-fixture-suite.js';

probeFixtureSuite('mariadb', 'others');
