/**
 * The load engine's small parts: which requests leave early and how, reading raw HTTP answers,
 * spotting a database refusal, percentiles, and the Prometheus text format.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResponses } from '../src/probe/load/parse-responses.js';
import { percentile } from '../src/probe/load/percentile.js';
import { planRequest } from '../src/probe/load/plan-request.js';
import { mentionsRefusal } from '../src/probe/load/refusal.js';
import { sumMetric } from '../src/probe/samplers/sum-metric.js';

describe('planRequest', () => {
  it('aborts round(ratio × n) requests, spread evenly, taking the shapes in turn', () => {
    const kinds = Array.from({ length: 20 }, (_, i) => planRequest(i, 0.2, ['abort-mid-body', 'abort-post-body']));
    assert.equal(kinds.filter((kind) => kind !== 'normal').length, 4);
    assert.deepEqual(
      kinds.map((kind, i) => (kind === 'normal' ? -1 : i)).filter((i) => i >= 0),
      [4, 9, 14, 19],
    );
    assert.deepEqual(
      kinds.filter((kind) => kind !== 'normal'),
      ['abort-mid-body', 'abort-post-body', 'abort-mid-body', 'abort-post-body'],
    );
  });

  it('ratio 0 sends only normal requests, ratio 1 only early-leaving ones', () => {
    assert.ok(Array.from({ length: 50 }, (_, i) => planRequest(i, 0, ['abort-mid-body'])).every((kind) => kind === 'normal'));
    assert.ok(Array.from({ length: 50 }, (_, i) => planRequest(i, 1, ['abort-mid-body'])).every((kind) => kind === 'abort-mid-body'));
  });
});

describe('parseResponses', () => {
  it('counts complete responses by Content-Length, chunked framing, and bodiless statuses', () => {
    const sized = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
    const chunked = 'HTTP/1.1 500 Internal\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nerror\r\n0\r\n\r\n';
    const empty = 'HTTP/1.1 204 No Content\r\n\r\n';
    assert.deepEqual(parseResponses(sized + chunked), { complete: 2, firstStatus: 200 });
    assert.deepEqual(parseResponses(empty), { complete: 1, firstStatus: 204 });
    assert.deepEqual(parseResponses('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhel'), { complete: 0, firstStatus: 200 });
    assert.deepEqual(parseResponses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nworking\n\r\n'), {
      complete: 0,
      firstStatus: 200,
    });
    assert.deepEqual(parseResponses(''), { complete: 0, firstStatus: undefined });
  });

  it('a response without length or chunking ends only at close, so it is never complete while open', () => {
    assert.equal(parseResponses('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it').complete, 0);
  });
});

describe('mentionsRefusal', () => {
  it('recognises MySQL/MariaDB, PostgreSQL and leakproof refusals', () => {
    for (const text of [
      "OperationalError: (1040, 'Too many connections')",
      'error: sorry, too many clients already',
      'FATAL: remaining connection slots are reserved for non-replication superuser connections',
      '{"error":"DATABASE_REFUSED","message":"the database refused a new connection"}',
      'SQLSTATE 53300',
    ])
      assert.ok(mentionsRefusal(text), text);
  });

  it('does not see one in ordinary errors or in numbers that merely contain 1040', () => {
    for (const text of ['Internal Server Error', 'order 10400 not found', 'timeout after 21040 ms'])
      assert.ok(!mentionsRefusal(text), text);
  });
});

describe('percentile', () => {
  it('nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual([percentile(values, 50), percentile(values, 99), percentile(values, 100), percentile([], 50)], [50, 99, 100, 0]);
    assert.equal(percentile([7], 99), 7);
  });
});

describe('sumMetric', () => {
  it('sums a gauge over its series, ignoring comments, other metrics and prefixes', () => {
    const text = [
      '# HELP leakproof_connections_open Connections open.',
      '# TYPE leakproof_connections_open gauge',
      'leakproof_connections_open{alias="default",url="mysql://a:***@h/db"} 3',
      'leakproof_connections_open{alias="re}plica \\"x\\""} 2 1712345678000',
      'leakproof_connections_open_total 99',
      'other_metric 7',
      '',
    ].join('\n');
    assert.equal(sumMetric(text, 'leakproof_connections_open'), 5);
    assert.equal(sumMetric('pool_open 4\n', 'pool_open'), 4);
    assert.equal(sumMetric(text, 'missing_metric'), undefined);
  });
});
