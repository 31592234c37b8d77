import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProbeResult } from '../src/probe/probe-result.js';
import { escapeHtml } from '../src/report/escape-html.js';
import { TEXT_WIDTH, renderText } from '../src/report/text-report.js';
import { renderHtml } from '../src/report/html-report.js';
import { renderJson } from '../src/report/json-report.js';
import { formatCount } from '../src/report/format.js';
import { textWidth } from '../src/report/format-table.js';
import { capacityResult, hostileResult, leakResult, noLeakResult, SECRET } from './report/sample-results.js';

/** `scheme://user:password@` with a password that is not the mask. */
const PASSWORD_PATTERN = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:(?!\*\*\*@)[^\s@/]+@/i;

const SCENARIOS = [
  ['no-leak', noLeakResult, 'NO LEAK'],
  ['leak', leakResult, 'LEAK'],
  ['capacity', capacityResult, 'CAPACITY'],
] as const;

describe('renderText', () => {
  for (const [kind, make, title] of SCENARIOS) {
    it(`puts the ${kind} verdict first, then its reasons and the numbers`, () => {
      const result = make();
      const text = renderText(result);
      const lines = text.split('\n');
      assert.ok(
        lines.slice(0, 3).some((line) => line.includes(title)),
        'verdict in the first lines',
      );
      for (const reason of result.verdict.reasons) assert.ok(text.replace(/\s+/g, ' ').includes(reason), `reason: ${reason}`);
      assert.match(text, new RegExp(`baseline ${result.baseline} at `));
      assert.match(text, new RegExp(`peak ${result.peak} at \\d+\\.\\d s`));
      for (const point of result.settle)
        assert.match(
          text,
          new RegExp(`${point.connections} after ${point.afterMs < 1000 ? `${point.afterMs} ms` : `${point.afterMs / 1000} s`} \\(`),
        );
      assert.match(text, /mysql · max_connections /);
      assert.ok(text.endsWith('\n'));
    });
  }

  it('has a row per round with requests, ok, errors, disconnects, refusals, peak, floor and latencies', () => {
    const result = capacityResult();
    const rows = renderText(result).split('\n');
    const header = rows.find((line) => line.startsWith('Round'));
    assert.ok(header !== undefined);
    for (const column of ['Requests', 'OK', 'Errors', 'Disconnects', 'Refusals', 'Peak', 'Floor', 'p50', 'p99'])
      assert.ok(header.includes(column), column);
    for (const round of result.rounds) {
      const row = rows.find((line) => line.startsWith(`${round.index + 1} `));
      assert.ok(row !== undefined, `row for round ${round.index + 1}`);
      const cells = row.split(/\s{2,}/);
      assert.deepEqual(cells.slice(2, 9), [
        ...[round.requests, round.ok, round.errors, round.disconnects, round.refusals, round.peak].map(formatCount),
        round.floor === undefined ? '—' : formatCount(round.floor),
      ]);
      assert.match(row, /ms\s+\d+ ms$/);
    }
    const total = rows.find((line) => line.startsWith('total'));
    assert.ok(total?.includes(formatCount(result.totals.refusals)));
    assert.ok(total?.includes(formatCount(result.totals.requests)));
  });

  it('shows the rising floor of a leak', () => {
    const result = leakResult();
    const floors = result.rounds.map((round) => round.floor).filter((floor) => floor !== undefined);
    assert.ok(floors.length === 2 && floors[1]! > floors[0]!, 'the sample leak has a rising floor');
    const text = renderText(result);
    assert.match(text, new RegExp(`Floor[\\s\\S]*\\b${floors[0]}\\b[\\s\\S]*\\b${floors[1]}\\b`));
  });

  it('stays within 100 columns, even with a very long URL and colour on', () => {
    const base = noLeakResult();
    const result: ProbeResult = { ...base, config: { ...base.config, url: `http://127.0.0.1:3000/${'very-long-path/'.repeat(12)}?x=1` } };
    for (const run of [result, leakResult(), capacityResult(), hostileResult()]) {
      for (const color of [false, true]) {
        for (const line of renderText(run, { color }).split('\n'))
          assert.ok(textWidth(line) <= TEXT_WIDTH, `${textWidth(line)} columns: ${line}`);
      }
    }
    assert.equal(TEXT_WIDTH, 100);
  });

  it('colours only when asked', () => {
    assert.ok(!renderText(leakResult()).includes('\x1b['));
    const colored = renderText(leakResult(), { color: true });
    assert.ok(colored.includes('\x1b[1;97;41m'), 'white on red banner');
    assert.ok(renderText(noLeakResult(), { color: true }).includes('\x1b[1;97;42m'), 'white on green banner');
  });

  it('gives the config in one wrapped line, target first', () => {
    const text = renderText(noLeakResult());
    const config = text.slice(text.indexOf('Config')).split('\nRun')[0] ?? '';
    assert.match(config, /^Config\s+POST http:\/\/127\.0\.0\.1:3000\/polls\/1\/vote · db mysql:\/\/app:\*\*\*@127\.0\.0\.1:3306\/polls/);
    for (const part of [
      'concurrency 40',
      'rounds 3 × 1,200 requests',
      'pause 1.5 s',
      'disconnects 20% after 50 ms',
      'settle 500 ms, 1.5 s, 2.5 s',
      'budget 20',
    ]) {
      assert.ok(config.replace(/\s+/g, ' ').includes(part), part);
    }
  });
});

describe('no report prints a secret', () => {
  const result = hostileResult();
  for (const [name, output] of [
    ['text', renderText(result)],
    ['html', renderHtml(result)],
    ['json', renderJson(result)],
  ] as const) {
    it(`${name} masks passwords and credential headers`, () => {
      assert.ok(!output.includes(SECRET), 'the password is nowhere');
      assert.doesNotMatch(output, PASSWORD_PATTERN);
      assert.ok(output.includes('admin:***@'), 'the user stays, the password is masked');
    });
  }
});

describe('renderHtml', () => {
  it('is one self-contained page that fetches nothing', () => {
    const result = hostileResult();
    const html = renderHtml(result);
    assert.ok(html.startsWith('<!doctype html>'));
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /<script[^>]*\ssrc\s*=/i);
    // Escaped text cannot hold `<`, so a match here is a real tag with src= or href=.
    assert.doesNotMatch(html, /<[^>]*\ssrc\s*=/i, 'no src= attribute at all');
    assert.doesNotMatch(html, /<[^>]*\shref\s*=/i, 'no links');
    assert.doesNotMatch(html, /url\(/i);
    assert.doesNotMatch(html, /@import/i);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    // The only URLs are the masked target and database, as escaped text.
    const withoutConfig = html.split(escapeHtml(`http://admin:***@127.0.0.1:3000/search?q=<script>alert(1)</script>&x="'`)).join('');
    assert.doesNotMatch(withoutConfig, /https?:\/\//i);
  });

  it('escapes every string from the result', () => {
    const html = renderHtml(hostileResult());
    assert.ok(html.includes('q=&lt;script&gt;alert(1)&lt;/script&gt;&amp;x=&quot;&#39;'));
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(html.includes('&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'));
    assert.ok(!html.includes('<script>alert(1)'));
    assert.ok(!html.includes('<img'));
    assert.equal(html.match(/<script\b/g)?.length, 2, 'the samples JSON and the tooltip script only');
  });

  for (const [kind, make, title] of SCENARIOS) {
    it(`shows the ${kind} verdict, reasons, settle points, rounds and config`, () => {
      const result = make();
      const html = renderHtml(result);
      assert.match(html, new RegExp(`<div class="verdict-badge">[^<]*<span aria-hidden="true">.</span> ${title}</div>`));
      assert.match(html, new RegExp(`data-verdict="${kind}"`));
      for (const reason of result.verdict.reasons) assert.ok(html.includes(escapeHtml(reason)), reason);
      assert.equal(html.match(/<th scope="row">Settle<\/th>/g)?.length, result.settle.length);
      const rounds = html.slice(html.indexOf('<section class="rounds">'), html.indexOf('<section class="config">'));
      assert.equal(rounds.match(/<tbody>[\s\S]*<\/tbody>/)?.[0].match(/<tr>/g)?.length, result.rounds.length);
      assert.ok(rounds.includes(formatCount(result.totals.requests)));
      assert.ok(html.includes('<dt>concurrency</dt>'));
      assert.ok(html.includes(`max_connections ${result.database.maxConnections}`));
    });
  }

  it('embeds the chart with its series, levels, phases, marks and event ticks', () => {
    const result = capacityResult();
    const html = renderHtml(result);
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);
    assert.match(svg, /role="img" aria-labelledby="chart-title chart-desc"/);
    assert.match(svg, /<title id="chart-title">/);
    assert.match(svg, /<desc id="chart-desc">[^<]*peak 40/);
    assert.ok(!svg.includes('xmlns='), 'inline SVG needs no namespace URL');
    assert.match(svg, new RegExp(`class="series-connections" d="M[^"]+" data-samples="${result.samples.length}"`));
    assert.match(svg, new RegExp(`class="series-in-flight" d="M[^"]+Z" data-samples="${result.samples.length}"`));
    for (const level of ['baseline', 'server-max']) assert.match(svg, new RegExp(`data-level="${level}"`));
    assert.equal(svg.match(/data-phase="load"/g)?.length, 3);
    assert.equal(svg.match(/data-phase="pause"/g)?.length, 2);
    assert.equal(svg.match(/data-phase="settle"/g)?.length, 1);
    assert.equal(svg.match(/class="mark mark-settle"/g)?.length, result.settle.length);
    for (const kind of ['disconnect', 'error', 'refusal'] as const) {
      const count = result.events.filter((event) => event.kind === kind).length;
      assert.match(svg, new RegExp(`class="event-row event-${kind}" fill="#[0-9a-f]{6}" data-count="${count}"`));
    }
  });

  it('has sample runs whose numbers agree with their verdicts', () => {
    const noLeak = noLeakResult();
    assert.ok(noLeak.config.maxConnections !== undefined && noLeak.peak <= noLeak.config.maxConnections, 'no-leak stays within its budget');
    assert.equal(noLeak.settle.at(-1)?.connections, noLeak.baseline);
    const capacity = capacityResult();
    assert.equal(capacity.peak, capacity.database.maxConnections);
    assert.ok(capacity.totals.refusals > 0);
    const leak = leakResult();
    assert.ok((leak.settle.at(-1)?.connections ?? 0) > leak.baseline + leak.restingLevel.allowedIdle);
    for (const result of [noLeak, capacity, leak]) {
      const gaps = result.samples.slice(1).map((sample, i) => sample.t - (result.samples[i]?.t ?? 0));
      assert.ok(
        gaps.every((gap) => gap === 75),
        '75 ms sample spacing',
      );
      assert.ok(result.durationMs > 14_000 && result.durationMs < 16_000, '~15 s');
    }
  });

  it('names a server limit far above the data instead of flattening the chart', () => {
    const svg = renderHtml(noLeakResult());
    assert.ok(!svg.includes('data-level="server-max"'));
    assert.ok(svg.includes('max_connections (151), off the chart'));
    assert.ok(svg.includes('data-level="budget"'), 'the budget of 20 is near the peak and drawn');
  });

  it('keeps the samples JSON from closing its script element', () => {
    const html = renderHtml(noLeakResult());
    const json = html.match(/<script type="application\/json" id="probe-samples">([^<]*)<\/script>/)?.[1];
    assert.ok(json !== undefined);
    const rows = JSON.parse(json) as unknown[];
    assert.equal(rows.length, noLeakResult().samples.length);
  });
});

describe('an aborted run', () => {
  // Ctrl-C before the first round: runProbe still returns a result, and every report must cope.
  const base = noLeakResult();
  const empty: ProbeResult = {
    ...base,
    durationMs: 120,
    samples: [],
    events: [],
    rounds: [],
    settle: [],
    peak: 2,
    totals: { requests: 0, ok: 0, errors: 0, disconnects: 0, refusals: 0, statusCounts: {} },
  };

  it('still renders text, HTML and JSON', () => {
    const text = renderText(empty);
    assert.match(text, /settle not measured/);
    assert.match(text, /^total\s+—\s+0\s+0/m);
    const html = renderHtml(empty);
    assert.ok(html.includes('class="series-connections" d="" data-samples="0"'));
    assert.ok(!/NaN|Infinity|undefined/.test(html), 'no broken numbers');
    assert.ok(!/NaN|Infinity|undefined/.test(text), 'no broken numbers');
    assert.equal(JSON.parse(renderJson(empty)).samples.length, 0);
  });
});

describe('renderJson', () => {
  it('is the result, pretty-printed, with a trailing newline', () => {
    const result = leakResult();
    const json = renderJson(result);
    assert.ok(json.endsWith('}\n'));
    assert.ok(json.startsWith('{\n  "schemaVersion": 1,'));
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(result)));
  });
});
