// `npm run bench:server`: the server benchmarks of docs/benchmarks.md. Every server and every load
// generator runs in its own process, on loopback; every wait is bounded. Results go to
// bench/results/server.json and bench/results/server.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, setPriority, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { signUpMany, startLoadgen, startTarget, type Target } from './procs.js';
import type { TargetKind } from './target.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const quick = process.argv.includes('--quick');
/** `--only=latency,idle` runs those sections and writes no result files. */
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice(7).split(',')) : undefined;
const want = (section: string) => !only || only.has(section);
const scale = quick ? 0.2 : 1;
const SUBSCRIBERS = Math.round(1000 * scale);
const IDLE_CONNECTIONS = Math.round(10_000 * scale);
const CONNECT_CONNECTIONS = Math.round(5_000 * scale);

async function tokensFor(kind: TargetKind, target: Target, users: number): Promise<string[]> {
  if (kind !== 'parley') return [];
  return (await signUpMany(target.port, users, 'bench-user-')).map((u) => u.token);
}

// ---- scenarios ---------------------------------------------------------------------------------

async function fanout(kind: TargetKind) {
  const target = await startTarget(kind);
  const load = startLoadgen();
  try {
    const tokens = await tokensFor(kind, target, SUBSCRIBERS + 1);
    await load.connect({
      kind,
      base: `ws://127.0.0.1:${target.port}`,
      tokens,
      connections: SUBSCRIBERS,
      concurrency: 50,
      join: true,
      publisher: true,
    });
    // Let the join/presence traffic of the ramp drain before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    const before = await target.stats();
    const r = await load.run(
      { scenario: 'fanout', messages: 1000, window: 20, bytes: 100, deadlineMs: 60_000 },
      90_000,
    );
    const after = await target.stats();
    return { ...r, serverCpuMicrosPerDelivery: (after.cpuMicros - before.cpuMicros) / r.received! };
  } finally {
    await load.close();
    await target.stop();
  }
}

/** Subscribers whose publish-to-receive times are recorded, in a process of their own. */
const PROBES = 10;

/**
 * Publish-to-receive latency at SUBSCRIBERS members. One process holding all the sockets would
 * measure itself (the last of 1000 sockets it reads is served ~10 ms after the first), so a bulk
 * process holds SUBSCRIBERS - PROBES members that only count, at nice 19, and a probe process
 * holds the publisher and PROBES timed members. The probes join spread evenly through the member
 * list (after every 99 bulk members), and servers fan out in join order, so their samples follow
 * the distribution over all deliveries. Publisher and probes share one clock.
 */
async function latency(kind: TargetKind) {
  const target = await startTarget(kind);
  const bulk = startLoadgen();
  // Receivers of a real deployment run on other machines; here they share two cores with the
  // server and the probes. At the lowest priority they drain their sockets without delaying
  // either. Applied to every target alike.
  setPriority(bulk.pid, 19);
  const probe = startLoadgen();
  try {
    const tokens = await tokensFor(kind, target, SUBSCRIBERS + 1);
    const base = `ws://127.0.0.1:${target.port}`;
    const perRound = Math.floor((SUBSCRIBERS - PROBES) / PROBES);
    const bulkTokens = tokens.slice(0, perRound * PROBES);
    const probeTokens = tokens.slice(perRound * PROBES);
    for (let round = 0; round < PROBES; round++) {
      const common = { kind, base, concurrency: 50, join: true } as const;
      await bulk.connect({
        ...common,
        tokens: bulkTokens,
        first: round * perRound,
        connections: perRound,
        publisher: false,
      });
      await probe.connect({
        ...common,
        tokens: probeTokens,
        first: round,
        connections: 1,
        publisher: round === PROBES - 1,
      });
    }
    await new Promise((r) => setTimeout(r, 1000));
    const durationMs = 5000;
    const held = bulk.run({ scenario: 'idle', holdMs: durationMs + 2000 }, 60_000);
    const r = await probe.run({ scenario: 'latency', rate: 50, durationMs, bytes: 100 }, 60_000);
    await held;
    return r;
  } finally {
    await Promise.all([bulk.close(), probe.close()]);
    await target.stop();
  }
}

async function idle() {
  // A 5 s heartbeat so that the measured window holds two full ping sweeps over every socket.
  const target = await startTarget('parley', 5_000);
  const load = startLoadgen();
  try {
    const tokens = await tokensFor('parley', target, 100);
    const baseline = await target.stats(true);
    const opened = await load.connect({
      kind: 'parley',
      base: `ws://127.0.0.1:${target.port}`,
      tokens,
      connections: IDLE_CONNECTIONS,
      concurrency: 100,
      join: false,
      publisher: false,
    });
    const loaded = await target.stats(true);
    await target.resetEld();
    const held = await load.run({ scenario: 'idle', holdMs: 12_000 }, 60_000);
    const after = await target.stats();
    return {
      connections: IDLE_CONNECTIONS,
      open: held.open!,
      rampSeconds: opened.seconds,
      heapBytesPerConnection: (loaded.heapUsed - baseline.heapUsed) / IDLE_CONNECTIONS,
      rssBytesPerConnection: (loaded.rss - baseline.rss) / IDLE_CONNECTIONS,
      eldP50Ms: after.eldP50Ms,
      eldP99Ms: after.eldP99Ms,
      eldMaxMs: after.eldMaxMs,
    };
  } finally {
    await load.close();
    await target.stop();
  }
}

/**
 * Connect + authenticate. `cold`: every connection has a token the server has never seen (first
 * sign-in, or reconnects after a server restart). `warm`: 100 tokens reused (reconnects after a
 * network change or sleep, the common case for a desktop app, served from the verified-token cache).
 */
async function connectRate(kind: TargetKind, tokensMode: 'cold' | 'warm') {
  const target = await startTarget(kind);
  const load = startLoadgen();
  try {
    let tokens: string[] = [];
    if (kind === 'parley') {
      const users = await signUpMany(target.port, 100, 'bench-user-');
      tokens =
        tokensMode === 'cold'
          ? await target.mint(
              users.map((u) => u.userId),
              CONNECT_CONNECTIONS,
            )
          : users.map((u) => u.token);
    }
    const before = await target.stats();
    const r = await load.connect({
      kind,
      base: `ws://127.0.0.1:${target.port}`,
      tokens,
      connections: CONNECT_CONNECTIONS,
      concurrency: 100,
      join: false,
      publisher: false,
    });
    const after = await target.stats();
    // The load generator shares the two cores and is the tighter bound on the measured rate;
    // server CPU per connection says what the server alone could take.
    const cpuMicrosPerConnection = (after.cpuMicros - before.cpuMicros) / CONNECT_CONNECTIONS;
    return {
      connections: CONNECT_CONNECTIONS,
      seconds: r.seconds,
      perSecond: r.rate,
      cpuMicrosPerConnection,
      serverCapacityPerSecond: 1e6 / cpuMicrosPerConnection,
    };
  } finally {
    await load.close();
    await target.stop();
  }
}

// ---- main --------------------------------------------------------------------------------------

const started = Date.now();
const log = (s: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  command: `npm run bench:server${quick ? ' -- --quick' : ''}`,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
};

const fan: Record<string, Record<string, number>> = {};
if (want('fanout')) log(`fan-out to ${SUBSCRIBERS} subscribers, 1000 messages of 100 bytes`);
for (const kind of want('fanout') ? (['parley', 'ws', 'socketio'] as const) : []) {
  fan[kind] = await fanout(kind);
  log(
    `  ${kind}: ${Math.round(fan[kind].deliveriesPerSecond!)} deliveries/s, ${fan[kind].serverCpuMicrosPerDelivery!.toFixed(2)} µs server CPU each`,
  );
}
if (want('fanout'))
  results.fanout = {
    ...fan,
    parleyVsWs: fan.parley!.deliveriesPerSecond! / fan.ws!.deliveriesPerSecond!,
    parleyVsSocketio: fan.parley!.deliveriesPerSecond! / fan.socketio!.deliveriesPerSecond!,
    cpuPerDeliveryParleyVsWs:
      fan.parley!.serverCpuMicrosPerDelivery! / fan.ws!.serverCpuMicrosPerDelivery!,
    cpuPerDeliveryParleyVsSocketio:
      fan.parley!.serverCpuMicrosPerDelivery! / fan.socketio!.serverCpuMicrosPerDelivery!,
  };

const lat: Record<string, Record<string, number>> = {};
if (want('latency')) {
  log(`latency at ${SUBSCRIBERS} subscribers (${PROBES} timed, spread), 50 messages/s for 5 s`);
}
for (const kind of want('latency') ? (['parley', 'ws'] as const) : []) {
  lat[kind] = await latency(kind);
  log(
    `  ${kind}: p50 ${lat[kind].p50Ms!.toFixed(2)} ms, p99 ${lat[kind].p99Ms!.toFixed(2)} ms (${lat[kind].samples} samples)`,
  );
}
results.latency = lat;

let idl: Awaited<ReturnType<typeof idle>> | undefined;
if (want('idle')) {
  log(`${IDLE_CONNECTIONS} idle authenticated connections`);
  idl = await idle();
  log(
    `  ${Math.round(idl.heapBytesPerConnection)} B heap/connection, event-loop delay p99 ${idl.eldP99Ms.toFixed(2)} ms`,
  );
  results.idle = idl;
}

const con: Record<string, Record<string, number>> = {};
if (want('connect'))
  log(`connect + authenticate, ${CONNECT_CONNECTIONS} connections, 100 at a time`);
const connectCases = [
  ['parleyCold', 'parley', 'cold'],
  ['parleyWarm', 'parley', 'warm'],
  ['ws', 'ws', 'cold'],
] as const;
for (const [name, kind, mode] of want('connect') ? connectCases : []) {
  con[name] = await connectRate(kind, mode);
  log(
    `  ${name}: ${Math.round(con[name].perSecond!)}/s measured, ${con[name].cpuMicrosPerConnection!.toFixed(0)} µs server CPU each`,
  );
}
if (want('connect'))
  results.connect = {
    ...con,
    coldVsWs: con.parleyCold!.perSecond! / con.ws!.perSecond!,
    warmVsWs: con.parleyWarm!.perSecond! / con.ws!.perSecond!,
  };

if (only || !idl) {
  log('partial run (--only): no result files written');
  process.exit(0);
}
const f = results.fanout as {
  parleyVsWs: number;
  parleyVsSocketio: number;
  cpuPerDeliveryParleyVsWs: number;
  cpuPerDeliveryParleyVsSocketio: number;
};
const md = `# Server benchmark results

${results.date}, \`${results.command}\`, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}.

| measure | Parley | bare ws | socket.io | Parley ÷ ws | Parley ÷ socket.io | target |
|---|---|---|---|---|---|---|
| fan-out deliveries/s (${SUBSCRIBERS} subscribers, 100 B) | ${Math.round(fan.parley!.deliveriesPerSecond!)} | ${Math.round(fan.ws!.deliveriesPerSecond!)} | ${Math.round(fan.socketio!.deliveriesPerSecond!)} | ${f.parleyVsWs.toFixed(2)} | ${f.parleyVsSocketio.toFixed(2)} | ≥ 0.8 ws, ≥ 3 socket.io |
| server CPU per delivery (µs) | ${fan.parley!.serverCpuMicrosPerDelivery!.toFixed(2)} | ${fan.ws!.serverCpuMicrosPerDelivery!.toFixed(2)} | ${fan.socketio!.serverCpuMicrosPerDelivery!.toFixed(2)} | ${f.cpuPerDeliveryParleyVsWs.toFixed(2)} | ${f.cpuPerDeliveryParleyVsSocketio.toFixed(2)} | (lower is better) |
| publish→receive p50 / p99 (ms), 50 msg/s, ${PROBES} probes spread over ${SUBSCRIBERS} members | ${lat.parley!.p50Ms!.toFixed(2)} / ${lat.parley!.p99Ms!.toFixed(2)} | ${lat.ws!.p50Ms!.toFixed(2)} / ${lat.ws!.p99Ms!.toFixed(2)} | | | | p99 < 10 ms |
| heap per idle connection (${IDLE_CONNECTIONS}) | ${Math.round(idl.heapBytesPerConnection)} B | | | | | ≤ 8 KB |
| RSS per idle connection | ${Math.round(idl.rssBytesPerConnection)} B | | | | | |
| event-loop delay p99 with ${IDLE_CONNECTIONS} idle | ${idl.eldP99Ms.toFixed(2)} ms | | | | | < 20 ms |
| connect + authenticate/s, new tokens (cold) | ${Math.round(con.parleyCold!.perSecond!)} | ${Math.round(con.ws!.perSecond!)} (connect only) | | ${(con.parleyCold!.perSecond! / con.ws!.perSecond!).toFixed(2)} | | ≥ 2000/s |
| connect + authenticate/s, known tokens (warm) | ${Math.round(con.parleyWarm!.perSecond!)} | | | ${(con.parleyWarm!.perSecond! / con.ws!.perSecond!).toFixed(2)} | | ≥ 2000/s |
| server CPU per connection, µs (cold / warm) → server-bound rate/s | ${con.parleyCold!.cpuMicrosPerConnection!.toFixed(0)} / ${con.parleyWarm!.cpuMicrosPerConnection!.toFixed(0)} → ${Math.round(con.parleyCold!.serverCapacityPerSecond!)} / ${Math.round(con.parleyWarm!.serverCapacityPerSecond!)} | ${con.ws!.cpuMicrosPerConnection!.toFixed(0)} → ${Math.round(con.ws!.serverCapacityPerSecond!)} | | | | |
`;
mkdirSync(RESULTS, { recursive: true });
writeFileSync(`${RESULTS}server.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${RESULTS}server.md`, md);
console.log(`\n${md}`);
log('written to bench/results/server.json and bench/results/server.md');
