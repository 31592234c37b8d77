import type { ProbeProgress } from '../probe/probe-result.js';
import { formatCount } from '../report/format.js';

/** What the probe command feeds while `runProbe` runs. */
export interface Progress {
  update(progress: ProbeProgress): void;
  /** Stops drawing; on a TTY the live line is erased so the report starts on a clean line. */
  done(): void;
}

export interface ProgressOptions {
  /** The clock, for tests. */
  readonly now?: () => number;
  /** Least time between redraws of the live line on a TTY (~10 per second). */
  readonly ttyIntervalMs?: number;
  /** Least time between plain lines when not a TTY (CI logs). */
  readonly lineIntervalMs?: number;
}

const BAR_WIDTH = 20;
const CLEAR_LINE = '\r\x1b[K';

/**
 * Progress on `stream`: on a TTY one live line redrawn at most ~10 times a second; otherwise
 * (CI, pipes) a plain line at most once a second and one at every phase or round change, so a
 * log shows the run's shape without thousands of lines.
 *
 * @example
 * const progress = createProgress(process.stderr);
 * const result = await runProbe(options, { onProgress: (p) => progress.update(p) });
 * progress.done();
 */
export function createProgress(stream: NodeJS.WriteStream, options: ProgressOptions = {}): Progress {
  const now = options.now ?? Date.now;
  return stream.isTTY === true
    ? liveLine(stream, now, options.ttyIntervalMs ?? 100)
    : plainLines(stream, now, options.lineIntervalMs ?? 1000);
}

function liveLine(stream: NodeJS.WriteStream, now: () => number, interval: number): Progress {
  let latest: ProbeProgress | undefined;
  let drawnAt = -Infinity;
  let drawnStage = '';
  let timer: NodeJS.Timeout | undefined;
  const cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const draw = (): void => {
    timer = undefined;
    if (latest === undefined) return;
    const width = Math.max(20, (stream.columns ?? 100) - 1);
    stream.write(CLEAR_LINE + [...liveText(latest)].slice(0, width).join(''));
    drawnAt = now();
    drawnStage = stage(latest);
  };
  return {
    update(progress) {
      latest = progress;
      if (stage(progress) !== drawnStage || now() - drawnAt >= interval) {
        cancel();
        draw();
      } else if (timer === undefined) {
        // Too soon: draw the newest state when the interval is up, so the line never lags behind.
        timer = setTimeout(draw, interval - (now() - drawnAt));
        timer.unref();
      }
    },
    done() {
      cancel();
      if (drawnStage !== '') stream.write(CLEAR_LINE);
      drawnStage = '';
      latest = undefined;
    },
  };
}

function plainLines(stream: NodeJS.WriteStream, now: () => number, interval: number): Progress {
  let latest: ProbeProgress | undefined;
  let printed: ProbeProgress | undefined;
  let printedAt = -Infinity;
  const print = (progress: ProbeProgress): void => {
    stream.write(`${plainText(progress)}\n`);
    printed = progress;
    printedAt = now();
  };
  return {
    update(progress) {
      latest = progress;
      const changed = printed === undefined || stage(progress) !== stage(printed);
      if (changed || now() - printedAt >= interval) print(progress);
    },
    done() {
      // The last state is worth a line: it holds the final counts.
      if (latest !== undefined && latest !== printed) print(latest);
      latest = undefined;
    },
  };
}

/** Phase and round: a change of either is always shown at once. */
function stage(progress: ProbeProgress): string {
  return `${progress.phase}:${progress.round}`;
}

/** `round 2/3 ████████░░░░ 54% 650/1,200 · 40 in flight · DB 21 · ok 512 err 0 disc 138 · 6.2 s` */
export function liveText(p: ProbeProgress): string {
  return [
    `${phaseLabel(p)} ${p.phase === 'load' ? bar(p) : ''}`.trimEnd(),
    `${formatCount(p.inFlight)} in flight`,
    `DB ${formatCount(p.connections)}`,
    `ok ${formatCount(p.ok)} err ${formatCount(p.errors)} disc ${formatCount(p.disconnects)}`,
    seconds(p.elapsedMs),
  ].join(' · ');
}

/** `[  6.2 s] round 2/3 load: 650/1,200 done, 40 in flight, 21 DB connections, ok 512, errors 0, disconnects 138` */
export function plainText(p: ProbeProgress): string {
  const done = p.total === undefined ? `${formatCount(p.done)} done` : `${formatCount(p.done)}/${formatCount(p.total)} done`;
  return (
    `[${seconds(p.elapsedMs).padStart(7)}] ${phaseLabel(p)}: ${done}, ${formatCount(p.inFlight)} in flight, ` +
    `${formatCount(p.connections)} DB connections, ok ${formatCount(p.ok)}, errors ${formatCount(p.errors)}, disconnects ${formatCount(p.disconnects)}`
  );
}

function phaseLabel(p: ProbeProgress): string {
  const round = `round ${Math.min(p.round + 1, p.rounds)}/${p.rounds}`;
  switch (p.phase) {
    case 'baseline':
      return 'baseline';
    case 'load':
      return `${round} load`;
    case 'pause':
      return `${round} pause`;
    case 'settle':
      return 'settle';
  }
}

/** A bar when the round has a request count; a plain count when it runs for a duration. */
function bar(p: ProbeProgress): string {
  if (p.total === undefined || p.total <= 0) return `${formatCount(p.done)} done`;
  const ratio = Math.min(1, Math.max(0, p.done / p.total));
  const filled = Math.round(ratio * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${String(Math.floor(ratio * 100)).padStart(3)}% ${formatCount(p.done)}/${formatCount(p.total)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
