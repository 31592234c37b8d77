/**
 * The databases' own CPU time, read from /proc: the processes listening on the bench's
 * database ports and their children (each PostgreSQL backend is a child of its postmaster;
 * MariaDB is one process). Taken before and after a measured window, it gives the database's
 * CPU per request, the cost the app's protocol use puts on the server (parsing and planning an
 * unnamed statement each time, for one). Other servers on the machine (a test suite's
 * throwaway ones) are not counted.
 *
 * Linux only (0 elsewhere); a backend that exits inside the window takes its CPU with it, so
 * the pools measured keep their connections open.
 *
 * @module
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** USER_HZ: /proc counts CPU in clock ticks of 10 ms on Linux. */
const MICROSECONDS_PER_TICK = 10_000;
const LISTEN = '0A';

/** The pids of the processes listening on `ports` (TCP, IPv4 or IPv6). */
export function listeningPids(ports: readonly number[]): Set<number> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readLines(table).slice(1)) {
      const fields = line.trim().split(/\s+/);
      const port = Number.parseInt(fields[1]?.split(':')[1] ?? '', 16);
      if (fields[3] === LISTEN && ports.includes(port) && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  const pids = new Set<number>();
  for (const pid of processIds()) {
    if (fdsOf(pid).some((fd) => inodes.has(socketInode(pid, fd)))) pids.add(Number(pid));
  }
  return pids;
}

/** The summed user + system CPU, in µs, of `roots` and their children now. */
export function databaseCpuUs(roots: ReadonlySet<number>): number {
  let ticks = 0;
  for (const pid of processIds()) {
    const stat = readStat(pid);
    if (stat !== undefined && (roots.has(Number(pid)) || roots.has(stat.ppid))) ticks += stat.ticks;
  }
  return ticks * MICROSECONDS_PER_TICK;
}

function readStat(pid: string): { ppid: number; ticks: number } | undefined {
  const [line] = readLines(`/proc/${pid}/stat`);
  if (line === undefined) return undefined;
  // pid (comm) state ppid … utime stime: comm may hold spaces, so split after its last ')'.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

function processIds(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

function fdsOf(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
}

function socketInode(pid: string, fd: string): string {
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '';
  } catch {
    return '';
  }
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'latin1')
      .split('\n')
      .filter((line) => line !== '');
  } catch {
    return []; // gone since the listing, or not Linux
  }
}
