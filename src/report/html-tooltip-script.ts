import type { ProbeResult, Sample } from '../probe/probe-result.js';

const PHASES: readonly Sample['phase'][] = ['baseline', 'load', 'pause', 'settle'];

/**
 * The samples as compact JSON for the tooltip script: `[t, connections, inFlight, phase index]`.
 * `<` is escaped so no value can close the `<script>` element it sits in.
 */
export function samplesJson(result: ProbeResult): string {
  const rows = result.samples.map((sample) => [sample.t, sample.connections, sample.inFlight, PHASES.indexOf(sample.phase)]);
  return JSON.stringify(rows).replace(/</g, '\\u003c');
}

/**
 * Hover tooltips for the chart: the sample under the pointer, with a crosshair. Everything it
 * shows is also on the page, so the report reads the same without script.
 */
export const TOOLTIP_SCRIPT = `(() => {
  const svg = document.querySelector('svg.probe-chart');
  const tip = document.querySelector('.chart-tip');
  const data = document.getElementById('probe-samples');
  if (!svg || !tip || !data || !svg.getScreenCTM) return;
  const rows = JSON.parse(data.textContent || '[]');
  const phases = ${JSON.stringify(PHASES)};
  const line = svg.querySelector('.hover-line');
  const left = Number(svg.dataset.plotLeft), right = Number(svg.dataset.plotRight), end = Number(svg.dataset.timeMax);
  const hide = () => { tip.style.display = 'none'; line.setAttribute('visibility', 'hidden'); };
  const at = (t) => {
    let lo = 0, hi = rows.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (rows[mid][0] <= t) lo = mid; else hi = mid - 1; }
    return rows[lo];
  };
  svg.addEventListener('pointermove', (event) => {
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    if (rows.length === 0 || point.x < left || point.x > right) return hide();
    const row = at(((point.x - left) / (right - left)) * end);
    const x = left + (row[0] / end) * (right - left);
    line.setAttribute('x1', x); line.setAttribute('x2', x); line.setAttribute('visibility', 'visible');
    tip.textContent = (row[0] / 1000).toFixed(2) + ' s · ' + row[1] + ' connections · ' + row[2] + ' in flight · ' + phases[row[3]];
    const box = tip.parentElement.getBoundingClientRect();
    tip.style.display = 'block';
    const width = tip.offsetWidth;
    const offset = event.clientX - box.left;
    tip.style.left = (offset + 14 + width > box.width ? offset - 14 - width : offset + 14) + 'px';
    tip.style.top = (event.clientY - box.top + 14) + 'px';
  });
  svg.addEventListener('pointerleave', hide);
})();`;
