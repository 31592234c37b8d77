/**
 * `leakproof doctor`: what it accepts.
 *
 * @module
 */
import { DOCTOR_DEFAULTS } from '../../doctor/run-doctor.js';
import type { CommandSpec } from '../command-spec.js';
import { formatDuration } from '../duration.js';

export const doctorSpec: CommandSpec = {
  name: 'doctor',
  summary: 'who holds connections on the database now, idle ages, max_connections and timeouts',
  usage: ['doctor --db <url> [--processes <n> --budget <n>] [options]'],
  description: [
    "Connects once (its own session is left out of every count) and lists the server's sessions grouped by\n" +
      "user, client host, database and state, with idle ages; the server's max_connections, superuser reserve\n" +
      'and idle timeouts (wait_timeout on MariaDB/MySQL, idle_session_timeout and\n' +
      'idle_in_transaction_session_timeout on PostgreSQL); the headroom left; and warnings: sessions idle too\n' +
      "long, sessions idle inside a transaction, and budgets that add up past the server's limit.\n" +
      'A user sees the sessions its privileges allow: PROCESS on MariaDB/MySQL, pg_read_all_stats on PostgreSQL.',
  ],
  positionals: [],
  options: [
    { name: 'db', value: 'url', description: 'the server to examine (required): mysql://, mariadb://, postgres:// or postgresql://' },
    { name: 'processes', short: 'p', value: 'n', description: 'how many processes of the app use this server (with --budget)' },
    {
      name: 'budget',
      short: 'b',
      value: 'n',
      description: "each process's connection budget, e.g. leakproof maxConnections (with --processes)",
    },
    {
      name: 'idle-older-than',
      value: 'time',
      default: formatDuration(DOCTOR_DEFAULTS.sleepingOlderThanMs),
      description: 'warn about sessions idle longer than this',
    },
    {
      name: 'timeout',
      value: 'time',
      default: formatDuration(DOCTOR_DEFAULTS.connectTimeoutMs),
      description: 'how long connecting may take',
    },
    { name: 'json', description: 'print the report as JSON' },
    { name: 'no-color', description: 'no colours (also: NO_COLOR=1)' },
  ],
  examples: [
    'leakproof doctor --db mysql://root@127.0.0.1:3306/app',
    '',
    '# 4 containers with a pool of 50 each: does that fit under max_connections?',
    'leakproof doctor --db postgres://postgres@db/app --processes 4 --budget 50',
    '',
    'leakproof doctor --db "$DATABASE_URL" --idle-older-than 5m --json',
  ],
  exitCodes: [
    [0, 'report printed (warnings included: read them)'],
    [2, 'bad usage, or the database could not be reached'],
  ],
};
