/**
 * Temp directories that are removed on `remove()` or, failing that, when the process exits.
 *
 * @module
 */
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { accessSync, constants, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';

const SHM = '/dev/shm';
const TMPFS_MAGIC = 0x01021994;
const ROOMY_BYTES = 1024 ** 3;

/**
 * Where temp dirs go: `TMPDIR` when it is set (the test runner points it at its run dir);
 * otherwise `/dev/shm` if it is a tmpfs with at least 1 GiB free, because a server start copies
 * about a thousand files and creating files there is ~10x faster than on a disk; otherwise
 * `os.tmpdir()`.
 */
export function tempBase(): string {
  if (process.env['TMPDIR']) return tmpdir();
  try {
    const stats = statfsSync(SHM);
    accessSync(SHM, constants.W_OK);
    if (stats.type === TMPFS_MAGIC && stats.bavail * stats.bsize >= ROOMY_BYTES) return SHM;
  } catch {
    // No usable /dev/shm.
  }
  return tmpdir();
}

/** A directory under `tempBase()`, removed by `remove()` or at process exit. */
export class TempDir {
  readonly path: string;
  readonly #unregister: () => void;

  private constructor(path: string) {
    this.path = path;
    this.#unregister = onProcessExit(() => rmSync(path, { recursive: true, force: true, maxRetries: 3 }));
  }

  /** Creates `<tempBase()>/<prefix>XXXXXX`, owned by `owner` when given (for servers that drop root). */
  static async create(prefix: string, owner?: { uid: number; gid: number }): Promise<TempDir> {
    const path = await mkdtemp(join(tempBase(), prefix));
    if (owner) await chown(path, owner.uid, owner.gid);
    return new TempDir(path);
  }

  /** Deletes the directory and everything in it. Idempotent. */
  async remove(): Promise<void> {
    // Retries: a server's last child process may still be closing files as we delete.
    await rm(this.path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    this.#unregister();
  }
}
