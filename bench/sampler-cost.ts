/**
 * What the probe's sampler costs the database it watches: readings per second, time per
 * reading, the server CPU it takes, and whether it slows a `KILL QUERY` down (MariaDB was seen
 * to stall one while information_schema.PROCESSLIST was read every 10-50 ms).
 *
 *   node --import tsx bench/sampler-cost.ts [seconds per interval, default 4]
 *
 * Starts a throwaway MariaDB and PostgreSQL (the test harness's), holds 50 idle app sessions on
 * each, and reads them as the probe does every 10, 25 and 75 ms (75 is the probe's default).
 * Server CPU: MariaDB's whole process (one process, threads), PostgreSQL's sampler backend,
 * from /proc. Prints a Markdown table.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createSampler } from '../src/probe/samplers/create-sampler.js';
import { adminQuery } from '../test/harness/admin-client.js';
import { startServer } from '../test/harness/start-server.js';
import type { Engine, TestServer } from '../test/harness/test-server.js';

const SECONDS = Number(process.argv[2] ?? 4);
const INTERVALS_MS = [10, 25, 75];
const IDLE_SESSIONS = 50;
const KILLS = 8;
const CLOCK_TICK_MS = 10; // USER_HZ 100 on Linux

interface Row {
  engine: Engine;
  intervalMs: number | undefined;
  readingsPerS: number;
  p50: number;
  p99: number;
  cpuShare: number;
  killMs: number;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const engine of ['mariadb', 'postgres'] as const) {
    const server = await startServer(engine, { maxConnections: 200 });
    const held = await holdSessions(server);
    try {
      rows.push({ engine, intervalMs: undefined, readingsPerS: 0, p50: 0, p99: 0, cpuShare: 0, killMs: await killLatency(server) });
      for (const intervalMs of INTERVALS_MS) rows.push(await measure(server, intervalMs));
    } finally {
      await Promise.all(held.map((close) => close()));
      await server.stop();
    }
  }
  process.stdout.write(table(rows));
}

async function holdSessions(server: TestServer): Promise<Array<() => Promise<void>>> {
  const closes: Array<() => Promise<void>> = [];
  for (let i = 0; i < IDLE_SESSIONS; i++) {
    if (server.engine === 'mariadb') {
      const connection = await mysql.createConnection({ uri: server.url });
      closes.push(() => connection.end());
    } else {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      closes.push(() => client.end());
    }
  }
  return closes;
}

async function measure(server: TestServer, intervalMs: number): Promise<Row> {
  const sampler = await createSampler(server.adminUrl.replace(/\/[^/]*$/, `/${server.database}`), { database: server.database });
  const times: number[] = [];
  const cpu = await serverCpu(server);
  const stop = Date.now() + SECONDS * 1000;
  const kills = killLatency(server);
  const began = Date.now();
  while (Date.now() < stop) {
    const t = performance.now();
    await sampler.readSessions!();
    times.push(performance.now() - t);
    await sleep(Math.max(0, intervalMs - (performance.now() - t)));
  }
  const elapsed = Date.now() - began;
  const cpuMs = (await serverCpu(server)) - cpu;
  const killMs = await kills;
  await sampler.close();
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    engine: server.engine,
    intervalMs,
    readingsPerS: times.length / (elapsed / 1000),
    p50: at(0.5),
    p99: at(0.99),
    cpuShare: cpuMs / elapsed,
    killMs,
  };
}

/** The median time from `KILL QUERY` (or pg_cancel_backend) to the cancelled SLEEP returning. */
async function killLatency(server: TestServer): Promise<number> {
  const latencies: number[] = [];
  for (let i = 0; i < KILLS; i++) {
    const victim =
      server.engine === 'mariadb' ? await mysql.createConnection({ uri: server.url }) : new pg.Client({ connectionString: server.url });
    if (victim instanceof pg.Client) await victim.connect();
    const id = victim instanceof pg.Client ? Number((await victim.query('SELECT pg_backend_pid() AS id')).rows[0].id) : victim.threadId;
    const running = (victim instanceof pg.Client ? victim.query('SELECT pg_sleep(5)') : victim.query('SELECT SLEEP(5)')).catch(
      () => undefined,
    );
    await sleep(100);
    const t = performance.now();
    await adminQuery(server, server.engine === 'mariadb' ? `KILL QUERY ${id}` : `SELECT pg_cancel_backend(${id})`);
    await running;
    latencies.push(performance.now() - t);
    await victim.end();
  }
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length / 2)] ?? 0;
}

/** CPU ms the server spent: MariaDB's whole process, PostgreSQL's backends (summed over children of the postmaster). */
async function serverCpu(server: TestServer): Promise<number> {
  const pids =
    server.engine === 'mariadb'
      ? [Number(readFileSync(String((await adminQuery(server, 'SELECT @@pid_file AS f'))[0]!['f']), 'utf8').trim())]
      : (await adminQuery(server, "SELECT pid FROM pg_stat_activity WHERE application_name = 'leakproof-probe'")).map((row) =>
          Number(row['pid']),
        );
  return pids.reduce((sum, pid) => sum + cpuOf(pid), 0);
}

function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| engine | reading every | readings/s | ms per reading p50 / p99 | server CPU share | KILL QUERY / cancel takes effect (median) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const every = row.intervalMs === undefined ? 'no sampler' : `${row.intervalMs} ms`;
    lines.push(
      `| ${row.engine} | ${every} | ${row.readingsPerS.toFixed(0)} | ${row.p50.toFixed(1)} / ${row.p99.toFixed(1)} | ${(row.cpuShare * 100).toFixed(1)} % | ${row.killMs.toFixed(1)} ms |`,
    );
  }
  return `${lines.join('\n')}\n\n${IDLE_SESSIONS} idle app sessions held; ${SECONDS} s per interval; ${KILLS} cancels per row.\n`;
}

await main();
