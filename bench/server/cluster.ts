// `npm run bench:cluster`: Parley in cluster mode against itself on one process and against
// socket.io with its Redis adapter, all in the same run. Subscribers are spread over the nodes
// and every node has a publisher, so most deliveries cross nodes; no proxy in the measured path. PostgreSQL and Redis are private instances on loopback. CPU per delivery counts
// every process involved: the nodes, Redis and PostgreSQL (its backends too).
//
// Caveat, said in docs/benchmarks.md as well: three nodes, Redis, PostgreSQL and the load
// generator share the machine's two cores. This measures the overhead per delivery of going
// through Redis and the correctness machinery, not horizontal speed-up.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../../tests/helpers/postgres.js';
import { startRedis } from '../../tests/helpers/redis.js';
import { signUpMany, startLoadgen, startTarget, type Target } from './procs.js';

type Result = Awaited<ReturnType<typeof measure>>;
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const quick = process.argv.includes('--quick');
const SUBSCRIBERS = quick ? 200 : 1000;
const MESSAGES = quick ? 200 : 1000;
process.env.PARLEY_TOKEN_SECRET ??= 'the benchmark cluster secret, 32+ characters long';

/** CPU time (µs) of a process and all its descendants, from /proc (clock ticks of 10 ms). */
function treeCpuMicros(rootPid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), {
        ppid: Number(fields[1]),
        // utime, stime, and cutime, cstime: children it reaped (PostgreSQL backends that ended).
        ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
      });
    } catch {
      // gone meanwhile
    }
  }
  let ticks = 0;
  for (const [pid, s] of stats) {
    for (let p = pid, hops = 0; p > 1 && hops < 20; p = stats.get(p)?.ppid ?? 0, hops++) {
      if (p === rootPid) {
        ticks += s.ticks;
        break;
      }
    }
  }
  return ticks * 10_000;
}

/** CPU time so far (µs): the nodes together, then each service (Redis, PostgreSQL). */
async function cpuSplit(targets: Target[], services: number[]): Promise<number[]> {
  const stats = await Promise.all(targets.map((t) => t.stats()));
  return [stats.reduce((n, s) => n + s.cpuMicros, 0), ...services.map((p) => treeCpuMicros(p))];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

interface Setup {
  name: string;
  client: 'parley' | 'socketio';
  nodes: number;
  start(i: number): Promise<Target>;
  /** Processes besides the nodes whose CPU counts (Redis, PostgreSQL). */
  services: number[];
}

/**
 * One load generator per node: its share of the subscribers and one publisher on that node, so
 * messages come from clients spread over the nodes and every delivery of another node's message
 * crosses Redis. All publishers send at once.
 */
async function measure(setup: Setup) {
  const targets: Target[] = [];
  for (let i = 0; i < setup.nodes; i++) targets.push(await setup.start(i));
  const loads = targets.map(() => startLoadgen());
  try {
    const tokens =
      setup.client === 'parley'
        ? (await signUpMany(targets[0]!.port, SUBSCRIBERS + setup.nodes, 'bench-')).map(
            (u) => u.token,
          )
        : [];
    const per = Math.floor(SUBSCRIBERS / setup.nodes);
    let first = 0;
    for (let i = 0; i < setup.nodes; i++) {
      const connections = i === 0 ? SUBSCRIBERS - per * (setup.nodes - 1) : per;
      await loads[i]!.connect({
        kind: setup.client,
        base: `ws://127.0.0.1:${targets[i]!.port}`,
        tokens,
        connections,
        first,
        concurrency: 50,
        join: true,
        publisher: true,
      });
      // The publisher takes the token after this node's subscribers.
      first += connections + 1;
    }
    // Joins and presence of the ramp fan out through Redis too: measure once every process is
    // quiet again (under 5% of a core for a second), not while that backlog drains.
    const quietDeadline = Date.now() + 60_000;
    const cpu = () => cpuSplit(targets, setup.services);
    let last = sum(await cpu());
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = sum(await cpu());
      if (now - last < 50_000 || Date.now() > quietDeadline) break;
      last = now;
    }
    const before = await cpu();
    const profiling = process.env.BENCH_PROFILE_WINDOW;
    if (profiling) await Promise.all(targets.map((t) => t.profile()));
    const started = Date.now();
    const fans = await Promise.all(
      loads.map((l) =>
        l.run(
          {
            scenario: 'fanout',
            messages: MESSAGES,
            window: 20,
            bytes: 100,
            deadlineMs: 90_000,
            sources: setup.nodes,
          },
          120_000,
        ),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    const after = await cpu();
    if (profiling) {
      await Promise.all(
        targets.map((t, i) =>
          t.profile(`${profiling}/${setup.name.replace(/\W+/g, '-')}-${i}.cpuprofile`),
        ),
      );
    }
    const received = fans.reduce((n, f) => n + f.received!, 0);
    const expected = fans.reduce((n, f) => n + f.expected!, 0);
    await new Promise((r) => setTimeout(r, 500));
    // Latency: node 1's publisher alone at 50 msg/s, heard by everyone.
    const held = loads.slice(1).map((l) => l.run({ scenario: 'idle', holdMs: 7000 }, 60_000));
    const lat = await loads[0]!.run(
      { scenario: 'latency', rate: 50, durationMs: 5000, bytes: 100 },
      60_000,
    );
    await Promise.all(held);
    const out = {
      name: setup.name,
      nodes: setup.nodes,
      deliveriesPerSecond: received / seconds,
      received,
      expected,
      cpuMicrosPerDelivery: (sum(after) - sum(before)) / received,
      /** Nodes, then each service (Redis, PostgreSQL), µs per delivery. */
      cpuSplit: after.map((a, i) => Number(((a - before[i]!) / received).toFixed(2))),
      p50Ms: lat.p50Ms!,
      p99Ms: lat.p99Ms!,
      latencySamples: `${lat.samples}/${lat.expected}`,
    };
    console.log(JSON.stringify(out));
    return out;
  } finally {
    for (const l of loads) await l.close();
    for (const t of targets) await t.stop();
  }
}

// BENCH_ONLY=text measures only the setups whose name contains it (exploring; writes nothing).
const only = process.env.BENCH_ONLY;
const pg = await startPostgres();
const redis = await startRedis();
const results: Result[] = [];
try {
  const redisPid = redis.pid()!;
  let db = 0;
  const parleyCluster = async (nodes: number): Promise<Setup> => {
    const store = await pg.database(`bench${++db}`);
    return {
      name: `Parley, PostgreSQL + Redis, ${nodes} node${nodes > 1 ? 's' : ''}`,
      client: 'parley',
      nodes,
      services: [redisPid, pg.pid()],
      start: (i) => startTarget('parley-node', 25_000, [store, redis.url, `bench${db}-n${i}`]),
    };
  };
  const socketio = (nodes: number): Setup => ({
    name: `socket.io + redis-adapter, ${nodes} node${nodes > 1 ? 's' : ''}`,
    client: 'socketio',
    nodes,
    services: [redisPid],
    start: () => startTarget('socketio-redis', 25_000, ['', redis.url]),
  });
  const setups: Setup[] = [
    {
      name: 'Parley, SQLite, 1 process',
      client: 'parley',
      nodes: 1,
      services: [],
      start: () => startTarget('parley'),
    },
    await parleyCluster(1),
    await parleyCluster(3),
    socketio(1),
    socketio(3),
  ];
  for (const s of setups) if (!only || s.name.includes(only)) results.push(await measure(s));
} finally {
  await redis.stop();
  await pg.stop();
}
if (only) process.exit(0);

const [sqlite, one, three, io1, io3] = results as [Result, Result, Result, Result, Result];
const ratios = {
  threeVsSocketio3Deliveries: three.deliveriesPerSecond / io3.deliveriesPerSecond,
  threeVsSocketio3DeliveriesPerCpu: 1 / three.cpuMicrosPerDelivery / (1 / io3.cpuMicrosPerDelivery),
  threeVsSqliteCpuPerDelivery: three.cpuMicrosPerDelivery / sqlite.cpuMicrosPerDelivery,
  threeP99VsSqliteP99: three.p99Ms / sqlite.p99Ms,
  threeAddedP50Ms: three.p50Ms - sqlite.p50Ms,
  oneVsSocketio1Deliveries: one.deliveriesPerSecond / io1.deliveriesPerSecond,
};
console.log(JSON.stringify(ratios));
if (!quick) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    `${RESULTS}cluster.json`,
    `${JSON.stringify({ date: new Date().toISOString(), subscribers: SUBSCRIBERS, messages: MESSAGES, results, ratios }, null, 2)}\n`,
  );
  const row = (r: Result) =>
    `| ${r.name} | ${Math.round(r.deliveriesPerSecond).toLocaleString('en')} | ${r.cpuMicrosPerDelivery.toFixed(2)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.received}/${r.expected} |`;
  writeFileSync(
    `${RESULTS}cluster.md`,
    [
      `Cluster benchmark, ${new Date().toISOString().slice(0, 10)}: ${SUBSCRIBERS} subscribers spread over the nodes, a publisher on every node sending ${MESSAGES} messages of 100 B each (window 20); latency: node 1's publisher at 50 msg/s for 5 s.`,
      '',
      '| setup | deliveries/s | CPU µs per delivery (all processes) | p50 ms | p99 ms | delivered |',
      '|---|---|---|---|---|---|',
      ...results.map(row),
      '',
      `- 3 Parley nodes vs 3 socket.io nodes: ${ratios.threeVsSocketio3Deliveries.toFixed(2)}× the deliveries/s, ${ratios.threeVsSocketio3DeliveriesPerCpu.toFixed(2)}× the deliveries per CPU second`,
      `- 3 Parley nodes vs 1 SQLite process: ${ratios.threeVsSqliteCpuPerDelivery.toFixed(2)}× the CPU per delivery, p99 ${ratios.threeP99VsSqliteP99.toFixed(2)}×, p50 ${ratios.threeAddedP50Ms >= 0 ? '+' : ''}${ratios.threeAddedP50Ms.toFixed(2)} ms`,
      `- 1 Parley node vs 1 socket.io node (both on Redis): ${ratios.oneVsSocketio1Deliveries.toFixed(2)}× the deliveries/s`,
      '',
    ].join('\n'),
  );
}
