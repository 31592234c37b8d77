/**
 * One initialised data directory per engine, copied for each server: initialising takes about
 * a second, a copy a few tens of milliseconds. Built once per process, or once per test run
 * when the runner hands its templates to the test processes (`templateEnv()`).
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TempDir } from './temp-dir.js';

const run = promisify(execFile);
const templates = new Map<string, Promise<string>>();

/** What builds a template: fills `dataDir` (which does not exist yet). */
export type TemplateBuilder = (dataDir: string, workDir: string) => Promise<void>;

/**
 * Copies the template named `key` to `dest` (which must not exist), building it first with
 * `build` if this process has none yet. `cp -a` keeps ownership and modes, which PostgreSQL checks.
 */
export async function copyDataDirTemplate(
  key: string,
  build: TemplateBuilder,
  dest: string,
  owner?: { uid: number; gid: number },
): Promise<void> {
  const template = await templateFor(key, build, owner);
  await run('cp', ['-a', template, dest], { timeout: 60_000 });
}

/**
 * Environment variables naming the templates this process built, for child processes to copy
 * instead of initialising their own. Only valid while this process lives (it deletes them at exit).
 */
export async function templateEnv(): Promise<Record<string, string>> {
  const entries = await Promise.all([...templates].map(async ([key, template]) => [envName(key), await template] as const));
  return Object.fromEntries(entries);
}

function envName(key: string): string {
  return `LEAKPROOF_TEMPLATE_${key.toUpperCase()}`;
}

function templateFor(key: string, build: TemplateBuilder, owner?: { uid: number; gid: number }): Promise<string> {
  const inherited = process.env[envName(key)];
  if (inherited && existsSync(inherited)) return Promise.resolve(inherited);
  let template = templates.get(key);
  if (template === undefined) {
    template = buildTemplate(key, build, owner);
    // A failed build is not cached, so a later server can try again.
    template.catch(() => templates.delete(key));
    templates.set(key, template);
  }
  return template;
}

async function buildTemplate(key: string, build: TemplateBuilder, owner?: { uid: number; gid: number }): Promise<string> {
  // Lives until the process exits (TempDir's exit hook removes it).
  const dir = await TempDir.create(`leakproof-${key}-template-`, owner);
  const dataDir = join(dir.path, 'data');
  await build(dataDir, dir.path);
  return dataDir;
}
