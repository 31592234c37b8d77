/**
 * The sessions of each reading as a stacked band on the connections axis: running a statement
 * (bottom), idle (a pool's, or on their way out), and stranded (top, red): sessions the app
 * stopped using while it opened new ones. Drawn as three nested areas, largest first, so each
 * shows as the slice between its own top and the next one's.
 *
 * @module
 */
import type { ProbeResult, Sample } from '../../probe/probe-result.js';
import type { ChartFrame } from './chart-frame.js';
import { PALETTE } from './palette.js';
import { el } from './svg.js';
import { stepArea } from './step-path.js';

type Band = NonNullable<Sample['band']>;

const LAYERS: readonly { key: string; color: string; height: (band: Band) => number }[] = [
  { key: 'stranded', color: PALETTE.sessionStranded, height: (band) => band.active + band.idle + band.stranded },
  { key: 'idle', color: PALETTE.sessionIdle, height: (band) => band.active + band.idle },
  { key: 'active', color: PALETTE.sessionActive, height: (band) => band.active },
];

export function sessionBandSvg(result: ProbeResult, frame: ChartFrame): string {
  const banded = result.samples.filter((sample): sample is Sample & { band: Band } => sample.band !== undefined);
  if (banded.length === 0) return '';
  return el(
    'g',
    { class: 'session-band' },
    LAYERS.map((layer) =>
      el('path', {
        class: `band-${layer.key}`,
        fill: layer.color,
        'fill-opacity': layer.key === 'stranded' ? 0.75 : 0.5,
        d: stepArea(
          banded.map((sample) => ({ t: sample.t, value: layer.height(sample.band) })),
          frame.x,
          frame.y,
          frame.plot.bottom,
        ),
      }),
    ),
  );
}
