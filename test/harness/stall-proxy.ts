/**
 * A TCP proxy in front of a test server that can make the network stall without closing a
 * socket: what a partition, a dead NAT entry or a frozen host looks like to a client. Sockets
 * stay open; bytes stop. `pause` holds the bytes and delivers them on `resume` (a stall TCP
 * recovers from); `drop` throws them away (a black hole: those sessions never hear from each
 * other again, though a close from either side still arrives once the network is back, as a
 * retransmitted FIN or a RST would). Connections opened during a stall are accepted but reach
 * the server only on `resume` (`pause`) or never (`drop`). `stallLink` stalls one connection
 * only, picked by the port the server sees it from.
 *
 * @module
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { TestServer } from './test-server.js';

export type StallMode = 'pause' | 'drop';

export interface StallProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  stall(mode: StallMode): void;
  /** Stalls one link only: the one whose socket to the server has local port `port` (what the server lists as the client's port). */
  stallLink(port: number, mode: StallMode): void;
  /** Ends every stall, the global one and those of single links. */
  resume(): void;
  /** While on, a new connection is closed at once (connection refused, in effect); open ones go on working. */
  refuseNew(on: boolean): void;
  /** Client connections currently open through the proxy. */
  readonly connections: number;
  /** The most connections that were open through the proxy at once: every one is a session the server sees (a PostgreSQL CancelRequest excepted). */
  readonly peak: number;
  close(): Promise<void>;
}

interface Direction {
  readonly from: Socket;
  readonly to: Socket;
  held: Buffer[];
  /** The sending side ended during a stall: end the other side on resume. */
  ended: boolean;
}

interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  /** Opened while the network was down in `drop` mode: it never reaches the server. */
  readonly dead: boolean;
  readonly directions: Direction[];
  /** This link's own stall (`stallLink`), over the proxy's. */
  mode: StallMode | undefined;
}

export async function startStallProxy(target: Pick<TestServer, 'host' | 'port'>): Promise<StallProxy> {
  let mode: StallMode | undefined;
  let refusing = false;
  let peak = 0;
  const links = new Set<Link>();
  const server: Server = createServer((client) => {
    if (refusing) return void client.destroy();
    const link: Link = { client, upstream: undefined, dead: mode === 'drop', directions: [], mode: undefined };
    links.add(link);
    peak = Math.max(peak, links.size);
    client.on('error', () => undefined);
    client.once('close', () => {
      // During a stall the close reaches the server only when the network is back (resume).
      if (modeOf(link) !== undefined) return;
      links.delete(link);
      link.upstream?.destroy();
    });
    if (mode === undefined) open(link);
    else client.pause();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;

  function open(link: Link): void {
    const upstream = connect({ host: target.host, port: target.port });
    upstream.on('error', () => undefined);
    link.upstream = upstream;
    link.directions.push(pipe(link, link.client, upstream), pipe(link, upstream, link.client));
    link.client.resume();
  }

  function modeOf(link: Link): StallMode | undefined {
    return link.mode ?? mode;
  }

  function pipe(link: Link, from: Socket, to: Socket): Direction {
    const direction: Direction = { from, to, held: [], ended: false };
    from.on('data', (chunk: Buffer) => {
      const now = modeOf(link);
      if (now === undefined) to.write(chunk);
      else if (now === 'pause') direction.held.push(chunk);
    });
    from.once('end', () => {
      if (modeOf(link) === undefined) to.end();
      else direction.ended = true;
    });
    from.once('close', () => {
      if (modeOf(link) === undefined) to.destroy();
      else direction.ended = true;
    });
    return direction;
  }

  function flush(direction: Direction): void {
    for (const chunk of direction.held.splice(0)) direction.to.write(chunk);
    if (direction.ended) direction.to.end();
  }

  return {
    port,
    get connections() {
      return links.size;
    },
    get peak() {
      return peak;
    },
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    stall(next) {
      mode = next;
    },
    stallLink(port, next) {
      const link = [...links].find((candidate) => candidate.upstream?.localPort === port);
      if (link === undefined) throw new Error(`no link through the proxy has local port ${port} to the server`);
      link.mode = next;
    },
    refuseNew(on) {
      refusing = on;
    },
    resume() {
      mode = undefined;
      for (const link of links) {
        link.mode = undefined;
        if (link.client.destroyed) {
          // The client left during the stall: the server hears it now, as a late FIN.
          link.upstream?.end();
          links.delete(link);
          continue;
        }
        if (link.upstream === undefined && !link.dead) open(link);
        for (const direction of link.directions) flush(direction);
      }
    },
    async close() {
      mode = undefined;
      for (const link of links) {
        link.client.destroy();
        link.upstream?.destroy();
      }
      server.close();
      await once(server, 'close');
    },
  };
}
