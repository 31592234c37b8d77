/**
 * Starts the polls example (`examples/polls/server.ts`) as a child process, the way the probe
 * meets any server: over HTTP, in another process, with its own event loop.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OutputStream } from '../cli-io.js';
import { CliError } from '../cli-error.js';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5000;
/**
 * The example app: built to JavaScript next to the library in an install (`dist/examples/polls`,
 * two levels above `dist/cli/demo`), TypeScript in a clone (`examples/polls`, three levels
 * above `src/cli/demo`), run there through tsx.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const SERVER = FROM_SOURCE
  ? new URL('../../../examples/polls/server.ts', import.meta.url)
  : new URL('../../examples/polls/server.js', import.meta.url);

export interface PollsApp {
  readonly port: number;
  /** Stops the app (it closes its pool) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** `DATABASE_URL` for the app: a `sqlite:` file or a server URL. */
  readonly databaseUrl: string;
  /** Where the app's own error output goes, prefixed. */
  readonly stderr: OutputStream;
}

export async function startPollsApp(options: StartOptions): Promise<PollsApp> {
  if (!existsSync(SERVER))
    throw new CliError(
      `the demo's example app is missing (${fileURLToPath(SERVER)}); from a clone, run npm ci (and npm run build for the built bin)`,
    );
  const child = fork(fileURLToPath(SERVER), [], {
    execArgv: FROM_SOURCE ? ['--import', tsxLoader()] : [],
    env: { ...process.env, DATABASE_URL: options.databaseUrl, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const output = forwardStderr(child, options.stderr);
  try {
    const port = await waitForPort(child, output);
    return { port, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** From a clone the example is TypeScript, run through tsx (a dev dependency, there after `npm ci`). */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    throw new CliError(
      'the demo runs the TypeScript example through tsx, which is not installed; run npm ci in the leakproof repository first',
    );
  }
}

/** Keeps the last lines of the app's stderr (for a failed start) and passes them on, prefixed. */
function forwardStderr(child: ChildProcess, stderr: OutputStream): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
    stderr.write(chunk.replace(/^(?=.)/gm, 'polls app: '));
  });
  return () => tail.trim();
}

function waitForPort(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const fail = (why: string): void => {
      cleanup();
      const detail = output();
      reject(new CliError(`the example app ${why}${detail === '' ? '' : `:\n${detail}`}`));
    };
    const onMessage = (message: unknown): void => {
      const { type, port } = (message ?? {}) as { type?: unknown; port?: unknown };
      if (type !== 'listening' || typeof port !== 'number') return;
      cleanup();
      resolve(port);
    };
    const onExit = (code: number | null): void => fail(`exited with code ${code ?? 'null'} before listening`);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Closing the IPC channel asks the app to stop; SIGKILL if it has not after a while. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
