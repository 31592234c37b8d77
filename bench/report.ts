/**
 * Turns the raw per-round measurements into the markdown of bench/results.md. Every number
 * shown is a median over rounds; every comparison is the median of per-round ratios (or
 * differences) with its min–max range, so a reader sees how far the noise reaches.
 *
 * @module
 */
import { HTTP_GROUPS, PEERS, type HttpSample, type HttpVariantResult } from './http-run.js';
import { HTTP_VARIANTS, type VariantName } from './http-variants.js';
import type { MicroSuiteResult, MicroVariantResult } from './micro-run.js';
import { median, pairedDeltas, pairedRatios, type Spread } from './stats.js';

export interface BenchMeta {
  readonly date: string;
  readonly node: string;
  readonly cpus: string;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
  readonly durationSeconds: number;
  readonly leakproof: string;
  readonly commit: string;
  readonly settings: Record<string, unknown>;
}

export interface BenchResults {
  readonly meta: BenchMeta;
  readonly micro: MicroSuiteResult[] | undefined;
  readonly http: HttpVariantResult[] | undefined;
}

export function renderMarkdown(results: BenchResults): string {
  const parts = [renderMeta(results.meta)];
  if (results.micro !== undefined) parts.push(renderMicro(results.micro));
  if (results.http !== undefined) parts.push(renderHttp(results.http));
  const peers = results.http === undefined ? undefined : renderPeers(results.http);
  if (peers !== undefined) parts.push(peers);
  return `${parts.join('\n\n')}\n`;
}

function renderMeta(meta: BenchMeta): string {
  const s = meta.settings;
  return [
    '# leakproof benchmark',
    '',
    `${meta.date} · Node ${meta.node} · ${meta.cpus} · load average ${loads(meta.loadAverageBefore)} before, ${loads(meta.loadAverageAfter)} after · ${meta.durationSeconds.toFixed(0)} s in all · leakproof ${meta.commit}, ${meta.leakproof.replace(/ into .*/, ' (tsc output)')}`,
    '',
    `HTTP: ${String(s['httpRounds'])} interleaved rounds × (${String(s['warmup'])} s warm-up + ${String(s['seconds'])} s measured) per variant, ${String(s['connections'])} keep-alive clients, pools of ${String(s['poolSize'])}. ` +
      `In-process: ${String(s['microRounds'])} interleaved rounds after one warm-up round. ` +
      'Values are medians over rounds; ratios and Δ are medians of per-round pairs, with (min–max). This machine is shared and noisy: a single rate moves 15–47 % between rounds, so a ratio whose range spans 1.00 is no measured difference.',
  ].join('\n');
}

function renderMicro(suites: readonly MicroSuiteResult[]): string {
  const sections = [
    '## In-process overhead',
    '',
    'µs per operation, operations awaited one after another. Raw variants run in a process that never enables AsyncLocalStorage; leakproof variants (and the raw ones marked "AsyncLocalStorage enabled") in one where leakproof has enabled it, which on Node 20 taxes every promise of the process (see bench/micro-spec.ts). CPU is the worker process\'s own (all threads). promises/op is counted with an async_hooks init hook: deterministic, unlike the timings.',
  ];
  for (const suite of suites) sections.push('', renderSuite(suite));
  return sections.join('\n');
}

function renderSuite(suite: MicroSuiteResult): string {
  const base = suite.variants.find((variant) => variant.key === suite.baseline)!;
  const rows = suite.variants.map((variant) => {
    const compared =
      variant === base
        ? ['baseline', '', '']
        : [
            signedRange(pairedDeltas(variant.wallUs, base.wallUs)),
            signedRange(pairedDeltas(variant.cpuUs, base.cpuUs)),
            ratioRange(pairedRatios(variant.wallUs, base.wallUs)),
          ];
    return [variant.label, us(median(variant.wallUs)), us(median(variant.cpuUs)), ...compared, variant.promisesPerOp.toFixed(0)];
  });
  const table = markdownTable(
    ['variant', 'wall µs/op', 'CPU µs/op', 'Δ wall µs vs baseline', 'Δ CPU µs vs baseline', '× baseline (wall)', 'promises/op'],
    rows,
  );
  const extras = suite.extraPairs.map(([a, b]) => extraPair(suite, a, b));
  return [
    `### ${suite.title} (${suite.ops.toLocaleString('en-US')} ops per batch)`,
    '',
    table,
    ...(extras.length > 0 ? ['', ...extras] : []),
  ].join('\n');
}

function extraPair(suite: MicroSuiteResult, a: string, b: string): string {
  const find = (key: string): MicroVariantResult => suite.variants.find((variant) => variant.key === key)!;
  const [va, vb] = [find(a), find(b)];
  return `- ${va.key} vs ${vb.key}: Δ wall ${signedRange(pairedDeltas(va.wallUs, vb.wallUs))} µs, Δ CPU ${signedRange(pairedDeltas(va.cpuUs, vb.cpuUs))} µs, × ${ratioRange(pairedRatios(va.wallUs, vb.wallUs))}`;
}

function renderHttp(variants: readonly HttpVariantResult[]): string {
  const byName = new Map(variants.map((variant) => [variant.name, variant]));
  const rows = variants.map((variant) => {
    const s = variant.samples;
    return [
      variant.label,
      int(median(s.map((x) => x.rps))),
      s.map((x) => int(x.rps)).join(' / '),
      ms(median(s.map((x) => x.p50Ms))),
      ms(median(s.map((x) => x.p99Ms))),
      us(median(s.map((x) => x.serverCpuUsPerRequest))),
      us(median(s.map(databaseCpu))),
      `${median(s.map((x) => x.serverCpuPercent)).toFixed(0)} %`,
      `${median(s.map((x) => x.machineBusyPercent)).toFixed(0)} %`,
      String(s.reduce((sum, x) => sum + x.errors, 0)),
    ];
  });
  const table = markdownTable(
    [
      'variant',
      'req/s',
      'req/s per round',
      'p50 ms',
      'p99 ms',
      'server CPU µs/req',
      'database CPU µs/req',
      'server CPU',
      'machine busy',
      'errors',
    ],
    rows,
  );

  type Comparison = [string, HttpVariantResult | undefined, HttpVariantResult | undefined];
  const versus = (a: VariantName, b: VariantName): Comparison => [
    `${HTTP_VARIANTS[a]} ÷ ${HTTP_VARIANTS[b]}`,
    byName.get(a),
    byName.get(b),
  ];
  const comparisons: Comparison[] = [
    ...HTTP_GROUPS.map(({ raw, leakproof }) => versus(leakproof, raw)),
    ...HTTP_GROUPS.flatMap(({ rawAls, leakproof }) => (rawAls === undefined ? [] : [versus(leakproof, rawAls)])),
    ...HTTP_GROUPS.flatMap(({ raw, rawAls }) => (rawAls === undefined ? [] : [versus(rawAls, raw)])),
    ...HTTP_GROUPS.flatMap(({ rawHeld, leakproof }) => (rawHeld === undefined ? [] : [versus(leakproof, rawHeld)])),
    ...HTTP_GROUPS.flatMap(({ raw, rawHeld }) => (rawHeld === undefined ? [] : [versus(rawHeld, raw)])),
    ...HTTP_GROUPS.flatMap(({ statementCache }) => (statementCache === undefined ? [] : [versus(statementCache.on, statementCache.off)])),
    ...HTTP_GROUPS.flatMap(({ raw, leakproof, statementCache }) =>
      statementCache === undefined
        ? []
        : [statementCache.on, statementCache.off].filter((name) => name !== leakproof).map((name) => versus(name, raw)),
    ),
    [
      `${HTTP_VARIANTS['leakproof-mysql2']} ÷ ${HTTP_VARIANTS['leakproof-mariadb']} (default MySQL driver)`,
      byName.get('leakproof-mysql2'),
      byName.get('leakproof-mariadb'),
    ],
    [`${HTTP_VARIANTS['raw-mysql2']} ÷ ${HTTP_VARIANTS['raw-mariadb']} (for context)`, byName.get('raw-mysql2'), byName.get('raw-mariadb')],
  ];
  const ratioRows = comparisons
    // Only comparisons whose two variants ran.
    .filter((entry): entry is [string, HttpVariantResult, HttpVariantResult] => entry[1] !== undefined && entry[2] !== undefined)
    .map(([title, a, b]) => [
      title,
      ratioRange(roundRatios(a, b, (x) => x.rps)),
      ratioRange(roundRatios(a, b, (x) => x.p99Ms)),
      ratioRange(roundRatios(a, b, (x) => x.serverCpuUsPerRequest)),
      ratioRange(roundRatios(a, b, databaseCpu)),
    ]);
  const ratios = markdownTable(['comparison (per-round ratios)', 'req/s ×', 'p99 ×', 'server CPU/req ×', 'database CPU/req ×'], ratioRows);
  return [
    '## HTTP side by side: `GET /item?id=N`, one primary-key SELECT, JSON out',
    '',
    "Each variant in a fresh server process, the load generator in another. server CPU µs/req is the server process's CPU time over the requests it received in the window: less sensitive to the machine's other tenants than req/s. database CPU µs/req is the CPU time of every MariaDB and PostgreSQL process over the same requests (both servers, the idle one costs next to nothing). server CPU is in % of one core; machine busy is all cores' busy time during the window (ours and other tenants'), in % of all cores.",
    '',
    table,
    '',
    ratios,
  ].join('\n');
}

/**
 * Per engine, what a user would run instead of leakproof (http-run.ts `PEERS`), beside that
 * engine's leakproof/http row; undefined when no peer ran.
 */
function renderPeers(variants: readonly HttpVariantResult[]): string | undefined {
  const byName = new Map(variants.map((variant) => [variant.name, variant]));
  const engines = PEERS.flatMap(({ engine, leakproof, peers }) => {
    const ran = peers.map((name) => byName.get(name)).filter((variant): variant is HttpVariantResult => variant !== undefined);
    return ran.length === 0 ? [] : [renderEnginePeers(engine, byName.get(leakproof), ran)];
  });
  if (engines.length === 0) return undefined;
  return [
    '## Peers, per engine',
    '',
    "What a user would pick instead of leakproof on each engine: the raw pools, the query builders on their own pools, the ORMs (bench/orm-variants.ts), all in the same rounds as that engine's leakproof/http row. Values are medians over rounds; leakproof ÷ peer is the median of per-round req/s ratios with (min–max): above 1.00, leakproof served more.",
    ...engines.flatMap((section) => ['', section]),
  ].join('\n');
}

function renderEnginePeers(engine: string, leakproof: HttpVariantResult | undefined, peers: readonly HttpVariantResult[]): string {
  const versus = (peer: HttpVariantResult): string =>
    leakproof === undefined ? '–' : ratioRange(roundRatios(leakproof, peer, (x) => x.rps));
  const row = (variant: HttpVariantResult, ratio: string): string[] => {
    const s = variant.samples;
    return [
      variant.label,
      int(median(s.map((x) => x.rps))),
      ms(median(s.map((x) => x.p99Ms))),
      us(median(s.map((x) => x.serverCpuUsPerRequest))),
      us(median(s.map(databaseCpu))),
      ratio,
    ];
  };
  const rows = [...(leakproof === undefined ? [] : [row(leakproof, 'reference')]), ...peers.map((peer) => row(peer, versus(peer)))];
  const table = markdownTable(['variant', 'req/s', 'p99 ms', 'server CPU µs/req', 'database CPU µs/req', 'leakproof ÷ peer (req/s)'], rows);
  const rps = (variant: HttpVariantResult): number => median(variant.samples.map((x) => x.rps));
  const fastest = peers.reduce((best, peer) => (rps(peer) > rps(best) ? peer : best));
  const verdict =
    leakproof === undefined
      ? []
      : ['', `${leakproof.label} ÷ the fastest peer (${fastest.label}, ${int(rps(fastest))} req/s): ${versus(fastest)} req/s per round`];
  return [`### ${engine}`, '', table, ...verdict].join('\n');
}

/** `pick(a) / pick(b)` per round both variants completed. */
function roundRatios(a: HttpVariantResult, b: HttpVariantResult, pick: (sample: HttpSample) => number): Spread {
  const [sa, sb] = alignRounds(a, b);
  return pairedRatios(sa.map(pick), sb.map(pick));
}

/** Results written before the database CPU was measured have none. */
function databaseCpu(sample: HttpSample): number {
  return sample.databaseCpuUsPerRequest ?? Number.NaN;
}

/** Samples of the rounds both variants completed, in round order. */
function alignRounds(a: HttpVariantResult, b: HttpVariantResult): [HttpVariantResult['samples'], HttpVariantResult['samples']] {
  const rounds = a.samples.map((x) => x.round).filter((round) => b.samples.some((y) => y.round === round));
  const pick = (v: HttpVariantResult): HttpVariantResult['samples'] => rounds.map((round) => v.samples.find((x) => x.round === round)!);
  return [pick(a), pick(b)];
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

function us(value: number): string {
  return Math.abs(value) < 10 ? value.toFixed(2) : value.toFixed(1);
}

function ms(value: number): string {
  return value.toFixed(2);
}

function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${us(Math.abs(value))}`;
}

function signedRange(s: Spread): string {
  return `${signed(s.median)} (${signed(s.min)} … ${signed(s.max)})`;
}

/** Two decimals throughout: the noise between rounds is far above 1 %. */
function ratioRange(s: Spread): string {
  return `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

function loads(values: readonly number[]): string {
  return values.map((value) => value.toFixed(2)).join(' ');
}
