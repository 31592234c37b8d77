/**
 * `leakproof probe`: what it accepts. The defaults shown are the probe's own
 * (`PROBE_DEFAULTS`), so the help cannot drift from what `runProbe` does.
 *
 * @module
 */
import { DEFAULT_METRIC, DISCONNECT_SHAPES, PROBE_DEFAULTS } from '../../probe/probe-config.js';
import type { CommandSpec } from '../command-spec.js';
import { formatDuration } from '../duration.js';

const d = PROBE_DEFAULTS;

export const probeSpec: CommandSpec = {
  name: 'probe',
  summary: "load a server with clients that disconnect, and watch the database's own connection count",
  usage: ['probe <url> --db <url> [options]'],
  description: [
    'Sends rounds of parallel requests to <url>, cutting some of them off mid-request, while sampling the\n' +
      "database's own count of connections (information_schema.PROCESSLIST, pg_stat_activity, or a\n" +
      'Prometheus gauge). After the load it waits and reads the count again: a count that does not come back\n' +
      'down, or a floor that rises from round to round, is a leak. Works against any server, in any language.',
  ],
  positionals: [{ name: 'url', description: 'the http:// or https:// URL to load' }],
  options: [
    {
      name: 'db',
      value: 'url',
      description:
        "where to count connections (required, or LEAKPROOF_DB_URL): mysql://, mariadb://,\npostgres://, PgBouncer's console (postgres://…/pgbouncer) or an http(s):// Prometheus metrics URL.\nUse a user that can see the app's sessions",
    },
    { name: 'db-env', value: 'name', description: 'read the --db URL from this environment variable (e.g. DATABASE_URL)' },
    { name: 'concurrency', short: 'c', value: 'n', default: String(d.concurrency), description: 'requests in flight at once' },
    { name: 'requests', short: 'n', value: 'n', default: String(d.requests), description: 'requests per round' },
    { name: 'duration', short: 'd', value: 'time', description: 'length of each round, instead of --requests (e.g. 30s)' },
    {
      name: 'rounds',
      value: 'n',
      default: String(d.rounds),
      description: 'load rounds; the pause after each shows whether the floor rises',
    },
    { name: 'pause', value: 'time', default: formatDuration(d.pauseMs), description: 'pause between rounds' },
    { name: 'abort-ratio', value: 'ratio', default: String(d.abortRatio), description: 'share of requests the probe cuts off, 0 to 1' },
    {
      name: 'abort-after',
      value: 'time',
      default: formatDuration(d.abortAfterMs),
      description: 'how long a cut-off client waits before leaving',
    },
    {
      name: 'shapes',
      value: 'list',
      default: d.shapes.join(','),
      description: `how clients leave, comma-separated, or all:\n${DISCONNECT_SHAPES.slice(0, 2).join(', ')},\n${DISCONNECT_SHAPES.slice(2).join(', ')}`,
    },
    {
      name: 'settle',
      value: 'times',
      default: d.settlePointsMs.map(formatDuration).join(','),
      description: 'when to read the count after the load stops',
    },
    {
      name: 'allowed-idle',
      value: 'n',
      default: String(d.allowedIdle),
      description:
        "connections the app may keep open at rest; default: learned from\nwhat the sessions did (a pool's level); a number overrides it",
    },
    { name: 'accept-no-effect', description: 'a load that got no 2xx/3xx or touched no session is expected (no exit 2)' },
    { name: 'max-connections', value: 'n', description: 'the app\'s budget: a count above it is "over budget" (exit 1)' },
    { name: 'method', short: 'X', value: 'verb', default: d.method, description: 'HTTP method' },
    { name: 'header', short: 'H', value: 'name: value', multiple: true, description: 'request header' },
    { name: 'body', value: 'text|@file', description: 'request body, or @path to read it from a file' },
    { name: 'timeout', value: 'time', default: formatDuration(d.requestTimeoutMs), description: 'per-request client timeout' },
    { name: 'db-user', value: 'name', description: "count only this database user's sessions" },
    { name: 'db-database', value: 'name', description: 'count only sessions on this database (default: the one in --db)' },
    { name: 'db-host', value: 'host', description: 'count only sessions from this client host' },
    { name: 'metric', value: 'name', default: DEFAULT_METRIC, description: 'Prometheus --db only: the gauge to sum' },
    { name: 'sample-interval', value: 'time', default: formatDuration(d.sampleIntervalMs), description: 'how often to read the count' },
    { name: 'json', description: 'print the result as JSON instead of the text summary' },
    { name: 'report', value: 'file', description: 'also write a self-contained HTML report with a chart' },
    { name: 'no-color', description: 'no colours (also: NO_COLOR=1)' },
  ],
  examples: [
    "# count on the app's own database (its URL, password included); exit 1 on a leak, so it gates CI",
    'leakproof probe http://localhost:3000/polls/1 --db "$DATABASE_URL"',
    '',
    '# 30 s rounds, 40 % of clients leaving mid-request, every disconnect shape, an HTML report',
    'leakproof probe http://localhost:3000/slow --db postgres://app@localhost/app \\\n      --duration 30s --abort-ratio 0.4 --shapes all --report report.html',
    '',
    "# a POST with a body, counted through the app's Prometheus endpoint, pool of 10 allowed at rest",
    "leakproof probe http://localhost:3000/polls/1/vote -X POST -H 'content-type: application/json' \\\n      --body '{\"choice\":1}' --db http://localhost:3000/metrics --allowed-idle 10",
  ],
  exitCodes: [
    [0, 'no leak (or a capacity limit that settled back)'],
    [1, 'leak, or over the --max-connections budget'],
    [2, 'bad usage, the target or the database could not be reached, or the load tested nothing'],
  ],
};
