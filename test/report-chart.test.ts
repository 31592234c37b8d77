import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartFrame, renderChartSvg } from '../src/report/chart-svg.js';
import { secondsLabel } from '../src/report/chart/axes.js';
import { binEvents } from '../src/report/chart/event-ticks.js';
import { linearScale } from '../src/report/chart/linear-scale.js';
import { niceStep, niceTicks, ticksWithin } from '../src/report/chart/nice-ticks.js';
import { phaseBands } from '../src/report/chart/phase-bands.js';
import { stepArea, stepPath } from '../src/report/chart/step-path.js';
import { capacityResult, leakResult, noLeakResult } from './report/sample-results.js';

describe('linearScale', () => {
  it('maps the domain onto the range, ends to ends', () => {
    const x = linearScale([0, 15_000], [80, 900]);
    assert.equal(x(0), 80);
    assert.equal(x(15_000), 900);
    assert.equal(x(7_500), 490);
  });

  it('runs backwards for SVG y, where 0 is at the bottom', () => {
    const y = linearScale([0, 25], [400, 100]);
    assert.equal(y(0), 400);
    assert.equal(y(25), 100);
    assert.equal(y(5), 340);
  });

  it('maps a flat domain to the range start instead of dividing by zero', () => {
    const y = linearScale([3, 3], [400, 100]);
    assert.equal(y(3), 400);
    assert.ok(Number.isFinite(y(10)));
  });
});

describe('nice ticks', () => {
  it('rounds a raw step up to 1, 2 or 5 × 10ⁿ', () => {
    assert.deepEqual(
      [0.07, 0.7, 1, 1.3, 3, 7, 23, 140, 1520].map((raw) => niceStep(raw)),
      [0.1, 1, 1, 2, 5, 10, 50, 200, 2000],
    );
    assert.equal(niceStep(0.3, 1), 1, 'counts never step by less than one connection');
    assert.equal(niceStep(0), 1);
  });

  it('ends a count axis on a round number at or above the data', () => {
    assert.deepEqual(niceTicks(23.5, 6, 1), { step: 5, max: 25, ticks: [0, 5, 10, 15, 20, 25] });
    assert.deepEqual(niceTicks(40, 4, 1), { step: 10, max: 40, ticks: [0, 10, 20, 30, 40] });
    assert.deepEqual(niceTicks(0.5, 6, 1), { step: 1, max: 1, ticks: [0, 1] });
    assert.deepEqual(niceTicks(168, 6, 1).ticks, [0, 50, 100, 150, 200]);
  });

  it('ends a time axis where the run ended, ticks at round seconds', () => {
    const time = ticksWithin(15_200, 10);
    assert.equal(time.step, 2000);
    assert.equal(time.max, 15_200);
    assert.deepEqual(time.ticks, [0, 2000, 4000, 6000, 8000, 10_000, 12_000, 14_000]);
  });

  it('has no float drift on decimal steps', () => {
    assert.deepEqual(ticksWithin(0.7, 7).ticks, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });

  it('labels seconds with a decimal only when the step needs one', () => {
    assert.equal(secondsLabel(4000, 2000), '4');
    assert.equal(secondsLabel(1500, 500), '1.5');
    assert.equal(secondsLabel(250, 50), '0.25');
  });
});

describe('chartFrame', () => {
  it('puts the run inside the plot box: time across, connections and in-flight up', () => {
    const result = noLeakResult();
    const frame = chartFrame(result);
    const { plot } = frame;
    assert.equal(frame.x(0), plot.left);
    assert.equal(frame.x(frame.time.max), plot.right);
    assert.equal(frame.y(0), plot.bottom);
    assert.equal(frame.y(frame.connections.max), plot.top);
    assert.equal(frame.yFlight(frame.inFlight.max), plot.top);
    assert.ok(frame.connections.max >= result.peak, 'the peak fits');
    assert.ok(frame.inFlight.max >= result.config.concurrency, 'full concurrency fits');
    for (const sample of result.samples) {
      assert.ok(frame.x(sample.t) >= plot.left && frame.x(sample.t) <= plot.right);
      assert.ok(frame.y(sample.connections) >= plot.top && frame.y(sample.connections) <= plot.bottom);
    }
    assert.ok(plot.top > 0 && plot.bottom < frame.strip.top && frame.strip.top < frame.height);
  });

  it('stretches the axis to a level near the data, and names one far above it instead', () => {
    const capacity = chartFrame(capacityResult());
    assert.ok(capacity.levels.some((level) => level.key === 'server-max' && level.value === 40));
    assert.ok(capacity.connections.max >= 40);
    const noLeak = chartFrame(noLeakResult());
    assert.deepEqual(
      noLeak.offScale.map((level) => level.key),
      ['server-max'],
    );
    assert.ok(noLeak.connections.max < 151 / 2, 'a limit of 151 does not squash a peak of ~21');
    assert.deepEqual(
      noLeak.levels.map((level) => level.key),
      ['baseline', 'budget'],
    );
  });

  it('draws a separate allowed level when idle connections are allowed', () => {
    const base = noLeakResult();
    const frame = chartFrame({ ...base, config: { ...base.config, allowedIdle: 5 }, restingLevel: { allowedIdle: 5, source: 'option' } });
    const allowed = frame.levels.find((level) => level.key === 'allowed');
    assert.equal(allowed?.value, base.baseline + 5);
  });
});

describe('chart geometry', () => {
  it('draws samples as steps: held until the next reading, V only on change', () => {
    const identity = (value: number): number => value;
    const points = [
      { t: 0, value: 1 },
      { t: 10, value: 1 },
      { t: 20, value: 3 },
      { t: 30, value: 2 },
    ];
    assert.equal(stepPath(points, identity, identity), 'M0 1H10H20V3H30V2');
    assert.equal(stepArea(points, identity, identity, 50), 'M0 50L0 1H10H20V3H30V2V50Z');
    assert.equal(stepPath([], identity, identity), '');
  });

  it('bins events that land on the same pixel into one tick', () => {
    const x = linearScale([0, 1000], [0, 100]);
    assert.deepEqual(binEvents([0, 1, 4, 500, 504, 999], x), [
      { x: 0, count: 3 },
      { x: 50, count: 2 },
      { x: 100, count: 1 },
    ]);
  });

  it('cuts the run into baseline, load rounds, pauses and settle', () => {
    const result = leakResult();
    const bands = phaseBands(result, result.durationMs);
    assert.deepEqual(
      bands.map((band) => band.kind),
      ['baseline', 'load', 'pause', 'load', 'pause', 'load', 'settle'],
    );
    assert.deepEqual(
      bands.map((band) => band.label).filter((label) => label.startsWith('round')),
      ['round 1', 'round 2', 'round 3'],
    );
    for (let i = 1; i < bands.length; i++) assert.equal(bands[i]?.from, bands[i - 1]?.to, 'bands tile the time axis');
    assert.equal(bands.at(-1)?.to, result.durationMs);
  });

  it('has one step per sample in the connection path', () => {
    const result = noLeakResult();
    const svg = renderChartSvg(result);
    const d = svg.match(/class="series-connections" d="([^"]+)"/)?.[1] ?? '';
    assert.equal(d.match(/H/g)?.length, result.samples.length - 1);
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), 'a standalone SVG file carries its namespace');
  });
});
