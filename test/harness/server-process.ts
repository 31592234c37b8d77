/**
 * One database server OS process: spawned with its output in a log file, waited on until it
 * answers, stopped gracefully with a SIGKILL fallback, and killed on process exit if a test
 * forgot it.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { onProcessExit, sleepSync } from './exit-cleanup.js';

/** How to run a server binary. */
export interface LaunchSpec {
  /** Short name for messages, e.g. `mariadbd`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The process's stdout and stderr are appended here. */
  readonly logFile: string;
  /** Other logs the server writes itself (e.g. MariaDB's error log), shown in failures. */
  readonly extraLogFiles?: readonly string[];
  /** Run as this OS user (PostgreSQL refuses to run as root). */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** The signal for a graceful shutdown that does not wait for clients. */
  readonly stopSignal: NodeJS.Signals;
}

const SETPRIV = '/usr/bin/setpriv';
const EXIT_PATH_GRACE_MS = 3000;

/** A spawned server process. `start()` may be called again after it exited (restart). */
export class ServerProcess {
  readonly #spec: LaunchSpec;
  #child: ChildProcess | undefined;
  #alive = false;
  #exitReason = 'not started';
  #exit: Promise<void> = Promise.resolve();
  #unregisterExit: (() => void) | undefined;

  constructor(spec: LaunchSpec) {
    this.#spec = spec;
  }

  get running(): boolean {
    return this.#alive;
  }

  /** Spawns the server; does not wait for it to accept connections (see `waitReady`). */
  start(): void {
    if (this.running) throw new Error(`${this.#spec.name} is already running`);
    const child = spawnLogged(this.#spec);
    this.#child = child;
    this.#alive = true;
    this.#exit = new Promise((resolve) => {
      const gone = (reason: string): void => {
        this.#alive = false;
        this.#exitReason = reason;
        resolve();
      };
      child.once('exit', (code, signal) => gone(signal ?? `code ${String(code)}`));
      child.once('error', (error) => gone(`spawn failed: ${error.message}`));
    });
    // The server must never keep a test process alive; the exit hook below stops it.
    child.unref();
    const pid = child.pid;
    this.#unregisterExit?.();
    this.#unregisterExit = pid === undefined ? undefined : onProcessExit(() => this.#stopSync(pid));
  }

  /**
   * Polls `probe` until it resolves true. Throws with the log tail if the process exits first
   * or `timeoutMs` passes.
   */
  async waitReady(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw this.failure(`exited (${this.#exitReason}) before accepting connections`);
      if (await probe().catch(() => false)) return;
      await sleep(25);
    }
    throw this.failure(`did not accept connections within ${timeoutMs} ms`);
  }

  /** Graceful shutdown; SIGKILL if it has not exited within `timeoutMs`. Idempotent. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.running) return this.#exit;
    this.#signal(this.#spec.stopSignal);
    if (!(await this.#waitExit(timeoutMs))) await this.kill();
  }

  /**
   * SIGKILL to the server and its direct children (PostgreSQL backends put themselves in their
   * own sessions, so a process-group kill would miss them), like a crash of the whole server.
   * Resolves once they are all gone, so a restart finds no stale processes on its files.
   */
  async kill(): Promise<void> {
    const pid = this.#child?.pid;
    if (!this.running || pid === undefined) return this.#exit;
    const children = childPids(pid);
    this.#signal('SIGKILL');
    for (const child of children) trySignal(child, 'SIGKILL');
    if (!(await this.#waitExit(10_000))) throw this.failure('survived SIGKILL for 10 s');
    if (!(await waitAllDead(children, 5000))) throw this.failure(`children ${children.join(',')} survived SIGKILL for 5 s`);
  }

  /** An `Error` whose message ends with the last lines of the server's logs. */
  failure(what: string): Error {
    return new Error(`${this.#spec.name} ${what}\n${this.logTail()}`);
  }

  /** The last `lines` lines of each log file, labelled. */
  logTail(lines = 25): string {
    const files = [this.#spec.logFile, ...(this.#spec.extraLogFiles ?? [])];
    return files
      .filter((file) => existsSync(file))
      .map((file) => `--- ${file} (last ${lines} lines) ---\n${tailLines(file, lines)}`)
      .join('\n');
  }

  #signal(signal: NodeJS.Signals): void {
    try {
      this.#child?.kill(signal);
    } catch {
      // Already gone: the exit promise settles on its own.
    }
  }

  async #waitExit(timeoutMs: number): Promise<boolean> {
    const child = this.#child;
    // Referenced while we wait, or Node could exit with only this promise pending.
    child?.ref();
    const timer = sleep(timeoutMs, false, { ref: false });
    try {
      const exited = await Promise.race([this.#exit.then(() => true), timer]);
      if (exited) this.#forgetExitHook();
      return exited;
    } finally {
      child?.unref();
    }
  }

  #forgetExitHook(): void {
    this.#unregisterExit?.();
    this.#unregisterExit = undefined;
  }

  /** The exit path: no event loop, so signal and poll /proc synchronously. */
  #stopSync(pid: number): void {
    if (!isAlive(pid)) return;
    const children = childPids(pid);
    trySignal(pid, this.#spec.stopSignal);
    if (waitDeadSync([pid, ...children], EXIT_PATH_GRACE_MS)) return;
    for (const target of [pid, ...childPids(pid), ...children]) trySignal(target, 'SIGKILL');
    waitDeadSync([pid, ...children], EXIT_PATH_GRACE_MS);
  }
}

function spawnLogged(spec: LaunchSpec): ChildProcess {
  const log = openSync(spec.logFile, 'a');
  try {
    const [command, args] = wrapped(spec);
    // Detached: its own process group, so a terminal's Ctrl-C reaches only the test process,
    // whose exit hook then stops the server in an orderly way.
    return spawn(command, args, { stdio: ['ignore', log, log], env: serverEnv(), detached: true });
  } finally {
    closeSync(log);
  }
}

/**
 * Prefers util-linux `setpriv`, which can drop to another user and sets the parent-death
 * signal: if this process dies without running its exit hooks (SIGKILL, OOM), the server still
 * gets its graceful stop signal, so it ends and releases its shared memory.
 */
function wrapped(spec: LaunchSpec): [string, string[]] {
  if (!existsSync(SETPRIV)) return [spec.command, [...spec.args]];
  const user = spec.runAs ? ['--reuid', String(spec.runAs.uid), '--regid', String(spec.runAs.gid), '--clear-groups'] : [];
  return [SETPRIV, ['--pdeathsig', spec.stopSignal, ...user, '--', spec.command, ...spec.args]];
}

/** A small, predictable environment: no inherited MYSQL_/PG variables change the server. */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
}

function tailLines(file: string, lines: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

/** Alive and not a zombie (an unreaped child still answers kill(pid, 0)). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function waitDeadSync(pids: readonly number[], timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pids.some(isAlive)) return true;
    sleepSync(10);
  }
  return !pids.some(isAlive);
}

async function waitAllDead(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pids.some(isAlive)) return true;
    await sleep(10);
  }
  return !pids.some(isAlive);
}

/** Direct children of `pid`, from /proc (empty where there is no /proc). */
function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.map(Number).filter((candidate) => parentOf(candidate) === pid);
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
