// A cluster on loopback for the fault tests: a private PostgreSQL and Redis, N `parley-server`
// processes (real child processes, as an operator runs them), and HAProxy in front with the
// PROXY protocol: one frontend balancing over every node (`url`) and one per node
// (`nodeUrl(i)`), so tests can pin a client to a node and still go through the proxy. Every
// process is killed by pid in `stop()`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { runServerProcess, signUp, type ServerProcess } from '../helpers/server-process.js';
export { loopbackLoadLimits } from '../helpers/server-process.js';
import { freePort } from '../helpers/wait.js';

export function haproxyBin(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v haproxy']).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface ClusterNode {
  id: string;
  port: number;
  process: ServerProcess | undefined;
}

export interface TestCluster {
  /** http://127.0.0.1:PORT of the balancing frontend. */
  url: string;
  nodes: ClusterNode[];
  /** http://127.0.0.1:PORT of the frontend that reaches only node i. */
  nodeUrl(i: number): string;
  wsUrl(httpUrl: string): string;
  redis: TestRedis;
  postgres: TestPostgres;
  storeUrl: string;
  /** Starts node i (again, on its port). */
  startNode(i: number, env?: Record<string, string>): Promise<void>;
  signal(i: number, sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export const TOKEN_SECRET = 'a cluster test secret, the same on every node';

export interface ClusterOptions {
  nodes: number;
  /** JSON settings and limits for every node (--config). */
  settings?: Record<string, unknown>;
  env?: (i: number) => Record<string, string>;
}

export async function startCluster(opts: ClusterOptions): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  const postgres = await startPostgres();
  const redis = await startRedis();
  const storeUrl = await postgres.database('cluster');
  const configFile = join(dir, 'settings.json');
  writeFileSync(configFile, JSON.stringify(opts.settings ?? {}));
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    nodes.push({ id: `node${i + 1}`, port: await freePort(), process: undefined });
  }
  const children: ChildProcess[] = [];
  const nodePorts: number[] = [];

  async function startNode(i: number, env: Record<string, string> = {}): Promise<void> {
    const node = nodes[i]!;
    node.process = await runServerProcess(
      [
        '--port',
        String(node.port),
        '--store',
        storeUrl,
        '--broker',
        redis.url,
        '--node-id',
        node.id,
        '--proxy-protocol',
        '--data',
        join(dir, node.id),
        '--config',
        configFile,
      ],
      30_000,
      {
        NODE_ENV: 'test',
        PARLEY_TOKEN_SECRET: TOKEN_SECRET,
        ...opts.env?.(i),
        ...env,
      },
    );
    children.push(node.process.child);
    if (lbReady) await nodeHealthy(i);
  }
  let lbReady = false;
  /** Until the proxy's frontend for node i answers (its health check passed again). */
  async function nodeHealthy(i: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const res = await fetch(`http://127.0.0.1:${nodePorts[i]}/healthz`).catch(() => null);
      if (res?.ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node ${i + 1} did not come back behind the proxy`);
  }
  // One at a time: the first creates the schema.
  for (let i = 0; i < nodes.length; i++) await startNode(i);

  const lbPort = await freePort();
  for (let i = 0; i < nodes.length; i++) nodePorts.push(await freePort());
  const server = (n: ClusterNode) =>
    `  server ${n.id} 127.0.0.1:${n.port} send-proxy-v2 check check-send-proxy inter 500 fall 2 rise 1`;
  const cfg = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout tunnel 1h',
    // A Host the server answers to: it refuses unknown names (DNS rebinding), checks included.
    '  option httpchk',
    '  http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost',
    '  option redispatch',
    '  retries 2',
    'frontend all',
    `  bind 127.0.0.1:${lbPort}`,
    '  default_backend nodes',
    'backend nodes',
    '  balance leastconn',
    ...nodes.map(server),
    ...nodes.flatMap((n, i) => [
      `frontend only_${n.id}`,
      `  bind 127.0.0.1:${nodePorts[i]}`,
      `  default_backend be_${n.id}`,
      `backend be_${n.id}`,
      server(n),
    ]),
  ].join('\n');
  const cfgFile = join(dir, 'haproxy.cfg');
  writeFileSync(cfgFile, `${cfg}\n`);
  const bin = haproxyBin();
  if (!bin) throw new Error('no haproxy here (apt-get install haproxy)');
  const lb = spawn(bin, ['-f', cfgFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lbLog = '';
  lb.stdout.on('data', (c: Buffer) => (lbLog += c.toString()));
  lb.stderr.on('data', (c: Buffer) => (lbLog += c.toString()));
  children.push(lb);
  const url = `http://127.0.0.1:${lbPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/healthz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline || lb.exitCode !== null) {
      throw new Error(`haproxy did not come up:\n${lbLog}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  lbReady = true;

  return {
    url,
    nodes,
    nodeUrl: (i) => `http://127.0.0.1:${nodePorts[i]}`,
    wsUrl: (httpUrl) => `${httpUrl.replace('http', 'ws')}/v1/realtime`,
    redis,
    postgres,
    storeUrl,
    startNode,
    signal(i, sig) {
      nodes[i]!.process?.child.kill(sig);
    },
    async stop() {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.kill('SIGKILL');
        }
      }
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? undefined
            : new Promise((r) => c.once('exit', r)),
        ),
      );
      await redis.stop();
      await postgres.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A cluster for the tests of one `describe`: started with these users signed up before them,
 * with `on(node, name)` to connect a user pinned to a node through the proxy; every connection
 * and process ends after them.
 */
export function clusterForTests(opts: ClusterOptions, names: string[]) {
  const fixture = {
    cluster: undefined as unknown as TestCluster,
    users: {} as Record<string, { userId: string; token: string }>,
    open: [] as ProtoClient[],
    async on(node: number, name: string): Promise<ProtoClient> {
      const { cluster } = fixture;
      const c = await ProtoClient.connect(
        cluster.wsUrl(cluster.nodeUrl(node)),
        fixture.users[name]!.token,
      );
      fixture.open.push(c);
      return c;
    },
  };
  beforeAll(async () => {
    fixture.cluster = await startCluster(opts);
    for (const name of names) fixture.users[name] = await signUp(fixture.cluster.url, name);
  });
  afterAll(async () => {
    for (const c of fixture.open) c.ws.terminate();
    await fixture.cluster?.stop();
  });
  return fixture;
}
