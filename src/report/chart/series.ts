import type { ProbeResult } from '../../probe/probe-result.js';
import type { ChartFrame } from './chart-frame.js';
import { el } from './svg.js';
import { stepArea, stepPath } from './step-path.js';

/** Requests in flight as a soft area on the right axis, under the DB connection count as a bold line. */
export function seriesSvg(result: ProbeResult, frame: ChartFrame): string {
  const connections = result.samples.map((sample) => ({ t: sample.t, value: sample.connections }));
  const inFlight = result.samples.map((sample) => ({ t: sample.t, value: sample.inFlight }));
  return el('g', { class: 'series' }, [
    el('path', {
      class: 'series-in-flight',
      d: stepArea(inFlight, frame.x, frame.yFlight, frame.plot.bottom),
      'data-samples': inFlight.length,
    }),
    el('path', { class: 'series-connections', d: stepPath(connections, frame.x, frame.y), 'data-samples': connections.length }),
  ]);
}
