/**
 * Opens the HTML report in a real headless Chromium: the chart must render with a real size,
 * the verdict must be visible, the tooltip script must work, and the page must try to fetch
 * nothing. Without Chromium the suite says so loudly and skips, unless `LEAKPROOF_REQUIRE_DB=1`
 * (CI), where that is a failure. `LEAKPROOF_UPDATE_SCREENSHOT=1` also writes the README's
 * `docs/probe-report.png`, and `docs/probe-sessions.png` from a real run whose leaked sessions
 * a collector closed later (test/report/stranded-result.json): the chart's stranded band and
 * the table naming each stranded session.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { ProbeResult } from '../src/probe/probe-result.js';
import { renderHtml } from '../src/report/html-report.js';
import { VERDICT_LABELS } from '../src/report/verdict-label.js';
import { capacityResult, leakResult, noLeakResult } from './report/sample-results.js';

/** Debian's package; the variable is for machines that keep it elsewhere. */
const CHROMIUM = process.env['LEAKPROOF_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1100, height: 900 };
const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
/** The run the README shows: a leak, because catching one is what the probe is for. */
const README_SCENARIO = 'leak';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const available = existsSync(CHROMIUM);
const required = process.env['LEAKPROOF_REQUIRE_DB'] === '1';
if (!available && !required) {
  const bar = '*'.repeat(78);
  process.stderr.write(
    `\n${bar}\n* WARNING: SKIPPING THE CHROMIUM REPORT TESTS: ${CHROMIUM} not found.\n` +
      `* Install it with: apt-get install -y chromium. Set LEAKPROOF_REQUIRE_DB=1 to make this an error.\n${bar}\n\n`,
  );
}

if (!available && required) {
  it('HTML report in headless Chromium needs Chromium', () => {
    assert.fail(`LEAKPROOF_REQUIRE_DB=1 but ${CHROMIUM} is not installed (apt-get install -y chromium)`);
  });
}

describe('HTML report in headless Chromium', { skip: available ? false : `${CHROMIUM} not found` }, () => {
  let dir = '';
  let context: BrowserContext | undefined;
  /** Every request the page tried that was not for the report file itself. */
  const attempted: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leakproof-report-'));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    context.on('request', (request) => {
      if (!request.url().startsWith('file:')) attempted.push(request.url());
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      return url.startsWith('file:') ? route.continue() : route.abort('blockedbyclient');
    });
  });

  after(async () => {
    await context?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const scenarios: readonly [string, () => ProbeResult][] = [
    ['no-leak', noLeakResult],
    ['leak', leakResult],
    ['capacity', capacityResult],
  ];
  for (const [kind, make] of scenarios) {
    it(`renders the ${kind} report: chart, verdict, tooltip, no fetch`, async () => {
      assert.ok(context !== undefined);
      const result = make();
      const file = join(dir, `${kind}.html`);
      writeFileSync(file, renderHtml(result));
      const page = await context.newPage();
      const problems = watchProblems(page);
      try {
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        await assertChart(page, result);
        await assertVerdict(page, result);
        await assertTooltip(page);
        const png = await screenshot(page, join(dir, `${kind}.png`));
        if (kind === README_SCENARIO && process.env['LEAKPROOF_UPDATE_SCREENSHOT'] === '1')
          copyFileSync(png, join(ROOT, 'docs', 'probe-report.png'));
        assert.deepEqual(problems, [], 'no script error, no console error (a CSP violation would be one)');
        assert.deepEqual(attempted, [], 'the page requested nothing but itself');
      } finally {
        await page.close();
      }
    });
  }
});

describe('HTML report in headless Chromium: stranded sessions', { skip: available ? false : `${CHROMIUM} not found` }, () => {
  it('shows the stranded sessions as their own band in the chart and names each in a table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-report-'));
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    try {
      const result = JSON.parse(readFileSync(join(ROOT, 'test', 'report', 'stranded-result.json'), 'utf8')) as ProbeResult;
      const file = join(dir, 'stranded.html');
      writeFileSync(file, renderHtml(result));
      const page = await context.newPage();
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // `any`: the project compiles without the DOM library; this runs in the page.
      const area = (selector: string): Promise<{ d: string; fill: string; height: number }> =>
        page.locator(selector).evaluate((element: any) => ({
          d: element.getAttribute('d') as string,
          fill: element.getAttribute('fill') as string,
          height: element.getBBox().height as number,
        }));
      const [stranded, idle] = [await area('path.band-stranded'), await area('path.band-idle')];
      assert.ok(
        result.samples.some((sample) => (sample.band?.stranded ?? 0) > 0),
        'the run has readings with stranded sessions',
      );
      assert.ok(stranded.height > 50, `the band is drawn (${stranded.height} px)`);
      assert.notEqual(stranded.d, idle.d, 'the stranded slice shows above the idle one');
      assert.notEqual(stranded.fill, idle.fill, 'stranded has a colour of its own');
      assert.ok(
        await page
          .getByText(/stranded \(\d+\)/)
          .first()
          .isVisible(),
        'the legend names the stranded band',
      );
      const rows = page.locator('table.stranded tbody tr');
      assert.equal(await rows.count(), Math.min(50, result.sessions!.strandedTotal + result.sessions!.idleInTransaction.length));
      assert.match(await rows.first().innerText(), /stranded\s+\d+\s+\S+\s+127\.0\.0\.1:\d+/);
      const png = join(dir, 'stranded.png');
      const sessions = await page.locator('section.sessions').boundingBox();
      assert.ok(sessions !== null);
      await page.screenshot({
        path: png,
        clip: { x: 0, y: 0, width: VIEWPORT.width, height: Math.ceil(sessions.y + Math.min(sessions.height, 420)) },
        fullPage: true,
      });
      assert.ok(readFileSync(png).subarray(0, 8).equals(PNG_SIGNATURE));
      if (process.env['LEAKPROOF_UPDATE_SCREENSHOT'] === '1') copyFileSync(png, join(ROOT, 'docs', 'probe-sessions.png'));
      await page.close();
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Page errors and console errors, collected while the test runs. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return problems;
}

async function assertChart(page: Page, result: ProbeResult): Promise<void> {
  const svg = page.locator('svg.probe-chart');
  assert.ok(await svg.isVisible(), 'the chart is visible');
  const box = await svg.boundingBox();
  assert.ok(box !== null && box.width > 600 && box.height > 250, `chart size ${JSON.stringify(box)}`);
  const path = page.locator('path.series-connections');
  // `any`: the project compiles without the DOM library; this function runs in the page.
  const drawn = await path.evaluate((element: any) => ({
    commands: (element.getAttribute('d') ?? '').match(/[MHV]/g)?.length ?? 0,
    width: element.getBBox().width as number,
    length: element.getTotalLength() as number,
  }));
  assert.ok(drawn.commands >= result.samples.length, `${drawn.commands} path commands for ${result.samples.length} samples`);
  assert.ok(drawn.width > 0.9 * box.width * (800 / 960), `the line spans the time axis (${drawn.width} px)`);
  assert.ok(drawn.length > drawn.width, 'the line goes up and down');
  assert.ok(await page.locator('path.series-in-flight').isVisible());
  assert.equal(await page.locator('.mark-settle circle').count(), result.settle.length);
}

async function assertVerdict(page: Page, result: ProbeResult): Promise<void> {
  const badge = page.locator('.verdict-badge');
  assert.ok(await badge.isVisible(), 'the verdict is visible');
  assert.match(await badge.innerText(), new RegExp(VERDICT_LABELS[result.verdict.kind].title));
  const top = await badge.boundingBox();
  assert.ok(top !== null && top.y < VIEWPORT.height / 4, 'the verdict is at the top of the page');
  assert.ok(await page.getByText(result.verdict.reasons[0] ?? '').isVisible(), 'the first reason is visible');
}

/** Hovering the middle of the plot shows a sample's numbers. */
async function assertTooltip(page: Page): Promise<void> {
  const box = await page.locator('svg.probe-chart').boundingBox();
  assert.ok(box !== null);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tip = page.locator('.chart-tip');
  assert.ok(await tip.isVisible(), 'the tooltip shows on hover');
  assert.match(await tip.innerText(), /\d+\.\d\d s · \d+ connections · \d+ in flight · (baseline|load|pause|settle)/);
  await page.mouse.move(0, 0);
}

/** The verdict, numbers and chart: the part of the page the README shows. */
async function screenshot(page: Page, path: string): Promise<string> {
  const chart = await page.locator('section.chart').boundingBox();
  assert.ok(chart !== null);
  await page.screenshot({
    path,
    clip: { x: 0, y: 0, width: VIEWPORT.width, height: Math.ceil(chart.y + chart.height + 16) },
    fullPage: true,
  });
  const png = readFileSync(path);
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'a PNG');
  assert.equal(png.readUInt32BE(16), VIEWPORT.width, 'PNG width');
  assert.ok(png.length > 20_000, `a real picture (${png.length} bytes)`);
  return path;
}
