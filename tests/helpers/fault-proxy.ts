// A loopback TCP proxy that injects faults into the connections it carries: resets, stalls
// (no bytes either way for a while), half-open sockets (silent for good) and slow reads.
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type Fault = 'reset' | 'stall' | 'half-open' | 'slow';

interface Pair {
  client: Socket;
  upstream: Socket;
  dead: boolean;
}

export interface FaultProxy {
  port: number;
  /** Injects one fault into a random live connection; false when there is none. */
  inject(fault: Fault): boolean;
  counts: Record<Fault, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(
  targetPort: number,
  random: () => number = Math.random,
): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  const counts: Record<Fault, number> = { reset: 0, stall: 0, 'half-open': 0, slow: 0 };
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, dead: false };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));

  function pick(): Pair | undefined {
    const live = [...pairs].filter((p) => !p.dead);
    return live[Math.floor(random() * live.length)];
  }

  return {
    port: (server.address() as AddressInfo).port,
    counts,
    inject(fault) {
      const p = pick();
      if (!p) return false;
      counts[fault]++;
      if (fault === 'reset') {
        p.client.resetAndDestroy();
        p.upstream.destroy();
      } else if (fault === 'stall') {
        // Nothing moves for 300 ms, then everything resumes.
        p.client.pause();
        p.upstream.pause();
        setTimeout(() => {
          p.client.resume();
          p.upstream.resume();
        }, 300);
      } else if (fault === 'half-open') {
        // Silent for good, without a close: only the heartbeat can tell.
        p.dead = true;
        p.client.unpipe(p.upstream);
        p.upstream.unpipe(p.client);
        p.client.pause();
        p.upstream.pause();
      } else {
        // Slow reads: the server side trickles in 10 ms steps for a second.
        let n = 0;
        const tick = setInterval(() => {
          if (++n > 100 || p.upstream.destroyed) {
            clearInterval(tick);
            p.upstream.resume();
            return;
          }
          if (n % 2) p.upstream.pause();
          else p.upstream.resume();
        }, 10);
      }
      return true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pairs) {
          p.client.destroy();
          p.upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
