/**
 * bench/results.md, written from the two runs it reports: `npm run bench` (bench/results.json)
 * and, below it, `npm run bench:curves` (bench/curves.json), so that one page has every figure
 * the README quotes. Each run rewrites the page; `npm run bench -- --render` rewrites it from
 * the JSON files alone.
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { curvesMarkdown, type Measured } from './curves-report.js';
import { renderMarkdown, type BenchResults } from './report.js';

const path = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/** Writes bench/results.md from `results` (by default bench/results.json) and the cost curves, if they were run; returns it. */
export function writeResultsMarkdown(results: BenchResults = readJson<BenchResults>('results.json')): string {
  const curves = existsSync(path('curves.json')) ? readJson<Measured>('curves.json') : undefined;
  const curvesNote = '`npm run bench:curves`, a run of its own (its date below); the same figures as [curves.md](curves.md).';
  const markdown =
    curves === undefined
      ? renderMarkdown(results)
      : `${renderMarkdown(results)}\n${curvesMarkdown(curves, { depth: 2, note: curvesNote })}`;
  writeFileSync(path('results.md'), markdown);
  return markdown;
}

/** Whether `npm run bench` has written its JSON yet (the curves rewrite the page only then). */
export function hasResults(): boolean {
  return existsSync(path('results.json'));
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(path(name), 'utf8')) as T;
}
