/**
 * The lifecycle shared by every server the harness starts itself: a process, a temp dir, the
 * admin connection, and engine hooks around start and stop.
 *
 * @module
 */
import { canConnect, closeAdminConnection } from './admin-client.js';
import type { ServerProcess } from './server-process.js';
import type { TempDir } from './temp-dir.js';
import type { Engine, TestServer } from './test-server.js';

/** How long a (re)started server may take to accept connections. */
export const READY_TIMEOUT_MS = 30_000;

/** The connection facts of a started server. */
export interface ServerAddress {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly adminUrl: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Engine-specific steps around the generic lifecycle. All optional. */
export interface ServerHooks {
  /** After every (re)start, once the server accepts connections (e.g. reopen ballast). */
  afterStart?(): Promise<void>;
  /** Before the server goes down, gracefully or not (e.g. close harness-held sessions). */
  beforeDown?(): Promise<void>;
  /** After the process is gone for good, before the temp dir is removed. */
  afterStop?(): void;
}

/** A `TestServer` that owns its process and temp dir. */
export class ManagedServer implements TestServer {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly adminUrl: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly #process: ServerProcess;
  readonly #dir: TempDir;
  readonly #hooks: ServerHooks;
  #stopping: Promise<void> | undefined;

  constructor(address: ServerAddress, process: ServerProcess, dir: TempDir, hooks: ServerHooks = {}) {
    ({ engine: this.engine, host: this.host, port: this.port, url: this.url } = address);
    ({ adminUrl: this.adminUrl, user: this.user, password: this.password, database: this.database } = address);
    this.#process = process;
    this.#dir = dir;
    this.#hooks = hooks;
  }

  /** Waits until the (just started) process accepts admin connections, then runs `afterStart`. */
  async waitReady(): Promise<void> {
    await this.#process.waitReady(() => canConnect(this), READY_TIMEOUT_MS);
    await this.#hooks.afterStart?.();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async kill(): Promise<void> {
    this.#assertNotStopped('kill');
    await this.#hooks.beforeDown?.();
    await this.#process.kill();
    await closeAdminConnection(this.adminUrl);
  }

  async restart(): Promise<void> {
    this.#assertNotStopped('restart');
    if (this.#process.running) await this.#goDown();
    this.#process.start();
    await this.waitReady();
  }

  /** The last lines of the server's logs, for failure messages. */
  logTail(lines?: number): string {
    return this.#process.logTail(lines);
  }

  async #stop(): Promise<void> {
    try {
      await this.#goDown();
      this.#hooks.afterStop?.();
    } finally {
      await this.#dir.remove();
    }
  }

  async #goDown(): Promise<void> {
    await this.#hooks.beforeDown?.();
    await closeAdminConnection(this.adminUrl);
    await this.#process.stop();
  }

  #assertNotStopped(what: string): void {
    if (this.#stopping) throw new Error(`cannot ${what} a ${this.engine} test server that was stopped`);
  }
}
