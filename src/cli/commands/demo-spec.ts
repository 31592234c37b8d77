/**
 * `leakproof demo`: what it accepts.
 *
 * @module
 */
import type { CommandSpec } from '../command-spec.js';

export const DEMO_REPORT = 'leakproof-demo-report.html';

export const demoSpec: CommandSpec = {
  name: 'demo',
  summary: 'run the example polls app and probe it with clients that walk away (start here)',
  usage: ['demo [options]'],
  description: [
    'Starts the polls example (examples/polls: node:http + leakproof/http) on a free port, on an embedded\n' +
      'SQLite file in a temporary directory, or on DATABASE_URL when it is set. Then it runs `leakproof probe`\n' +
      'against it: POST /polls/1/slow (a vote in a transaction, then a streamed answer), 20 clients at once,\n' +
      '40 % of them leaving mid-request in every way the probe knows, 3 rounds. It counts connections through\n' +
      "the app's /metrics gauge (or on the DATABASE_URL server itself), prints the verdict and writes an HTML\n" +
      'report. About 25 seconds; --quick takes about 8.',
  ],
  positionals: [],
  options: [
    { name: 'quick', description: 'shorter rounds and settle points (about 8 s in all)' },
    { name: 'report', value: 'file', default: DEMO_REPORT, description: 'where to write the HTML report' },
    { name: 'json', description: "print the probe's JSON result instead of the text summary" },
    { name: 'no-color', description: 'no colours (also: NO_COLOR=1)' },
  ],
  examples: [
    'leakproof demo',
    'leakproof demo --quick --report /tmp/demo.html',
    '',
    '# the same app and probe on your own server: counted in information_schema / pg_stat_activity',
    'DATABASE_URL=postgres://app@localhost:5432/app leakproof demo',
  ],
  exitCodes: [
    [0, 'no leak: every connection came back'],
    [1, 'leak or over budget'],
    [2, 'bad usage, or the example app or its database could not be started or reached'],
  ],
};
