// A server under test, in its own process: Parley, a bare `ws` broadcast server, or a socket.io
// room. Started by run.ts with fork(); answers stats requests over the IPC channel.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session as InspectorSession } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { defaultConfig, withOverrides } from '../../src/server/config.js';
import { startServer } from '../../src/server/server.js';

export type TargetKind = 'parley' | 'ws' | 'socketio';
/** Also: a cluster node (`parley-node STORE REDIS NAME`) and socket.io on Redis (`socketio-redis REDIS`). */
type ProcessKind = TargetKind | 'parley-node' | 'socketio-redis';
export type TargetRequest =
  | { type: 'stats'; gc?: boolean }
  | { type: 'reset-eld' }
  | { type: 'mint'; userIds: string[]; count: number }
  | { type: 'profile'; file?: string }
  | { type: 'stop' };
export interface TargetStats {
  heapUsed: number;
  rss: number;
  cpuMicros: number;
  eldP50Ms: number;
  eldP99Ms: number;
  eldMaxMs: number;
}

const kind = process.argv[2] as ProcessKind;
const [, , , , storeUrl, redisUrl, nodeName] = process.argv;
const heartbeatMs = Number(process.argv[3] ?? 25_000);
// The histogram records whole sampling intervals, so the delay is each sample less the resolution.
const ELD_RESOLUTION_MS = 1;
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
eld.enable();

interface Running {
  port: number;
  stop: () => Promise<void>;
  /** Parley only: `count` distinct tokens for the given users, round robin, without sign-in work. */
  mint?: (userIds: string[], count: number) => Promise<string[]>;
}

async function start(): Promise<Running> {
  if (kind === 'parley' || kind === 'parley-node') {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
    const config = withOverrides(defaultConfig(dataDir), {
      port: 0,
      logLevel: 'error',
      heartbeatMs,
      // Sign-ups are set-up here, not what is measured.
      scryptCost: 1024,
      // The load comes from one address and a handful of accounts; the per-IP, per-user and
      // per-connection limits would (rightly) refuse it.
      limits: {
        connectionsPerIpPerMinute: 1_000_000,
        connectionsPerUser: 1_000,
        requestsPerSecond: 1_000_000,
        requestBurst: 1_000_000,
        maxConnections: 100_000,
        maxBufferedBytes: 64 * 1024 * 1024,
        signUpsPerIpPerMinute: 1_000_000,
        signInsPerIpPerMinute: 1_000_000,
        signInsInFlightPerIp: 1_000_000,
        passwordQueue: 10_000,
      },
      // A cluster node: PostgreSQL store, Redis broker (PARLEY_TOKEN_SECRET set by cluster.ts).
      ...(kind === 'parley-node'
        ? { store: storeUrl!, broker: redisUrl!, nodeId: nodeName!, clusterName: 'bench' }
        : {}),
    });
    const server = await startServer(config);
    return {
      port: server.port,
      mint: async (userIds, count) => {
        const out: string[] = [];
        for (let i = 0; i < count; i++)
          out.push((await server.tokens.issue(userIds[i % userIds.length]!, 0)).token);
        return out;
      },
      stop: async () => {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const http = createServer();
  if (kind === 'ws') {
    // The broadcast example of the ws README: every message to every client.
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        for (const client of wss.clients) client.send(data, { binary: isBinary });
      });
    });
  } else {
    const io = new SocketIoServer(http, { transports: ['websocket'], serveClient: false });
    if (kind === 'socketio-redis') {
      // The adapter socket.io documents for several servers: pub/sub over Redis (ioredis).
      const { createAdapter } = await import('@socket.io/redis-adapter');
      const { Redis } = await import('ioredis');
      const pub = new Redis(redisUrl!);
      const sub = pub.duplicate();
      io.adapter(createAdapter(pub, sub));
    }
    io.on('connection', (socket) => {
      void socket.join('room');
      socket.on('post', (msg: unknown) => io.to('room').emit('message', msg));
    });
  }
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

function stats(gc: boolean): TargetStats {
  if (gc && global.gc) {
    global.gc();
    global.gc();
  }
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    heapUsed: mem.heapUsed,
    rss: mem.rss,
    cpuMicros: cpu.user + cpu.system,
    eldP50Ms: Math.max(0, eld.percentile(50) / 1e6 - ELD_RESOLUTION_MS),
    eldP99Ms: Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS),
    eldMaxMs: Math.max(0, eld.max / 1e6 - ELD_RESOLUTION_MS),
  };
}

/** Starts a CPU profile; with a file, stops the running one and writes it there. */
let session: InspectorSession | undefined;
async function profile(file: string | undefined): Promise<void> {
  const { Session } = await import('node:inspector/promises');
  if (!file) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    return;
  }
  if (!session) return;
  const { profile: result } = await session.post('Profiler.stop');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, JSON.stringify(result));
  session.disconnect();
  session = undefined;
}

const running = await start();
process.send!({ type: 'ready', port: running.port });
process.on('message', (msg: TargetRequest) => {
  if (msg.type === 'stats') process.send!({ type: 'stats', stats: stats(Boolean(msg.gc)) });
  else if (msg.type === 'reset-eld') {
    eld.reset();
    process.send!({ type: 'reset-eld' });
  } else if (msg.type === 'mint') {
    void running.mint!(msg.userIds, msg.count).then((tokens) =>
      process.send!({ type: 'minted', tokens }),
    );
  } else if (msg.type === 'profile') {
    void profile(msg.file).then(() => process.send!({ type: 'profiled' }));
  } else if (msg.type === 'stop') {
    void running.stop().then(() => process.exit(0));
  }
});
// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));
