// `npm run bench:core`: 2,000 desktop clients (the core's own RealtimeClient) reconnecting after
// the server is killed and restarted. Measures time until 99% have resumed (online and holding
// every message posted meanwhile), the peak connection attempts per second, and messages lost.
// Server and clients are separate processes on loopback; every wait is bounded.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort } from '../../tests/helpers/wait.js';
import type { StormRequest } from './storm-clients.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENTS = process.argv.includes('--quick') ? 400 : 2000;
const USERS = 200;
const MESSAGES = 20;
const DOWNTIME_MS = 2000;
const GROUP = 'storm';

function startServer(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('server did not start in 20 s'));
    }, 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { child, ready };
}

function ask<T>(
  proc: ReturnType<typeof fork>,
  msg: StormRequest,
  answer: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${answer} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const on = (m: { type: string }) => {
      if (m.type !== answer) return;
      clearTimeout(timer);
      proc.off('message', on);
      resolve(m as T);
    };
    proc.on('message', on);
    proc.send(msg);
  });
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

interface Report {
  clients: number;
  resumed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  attempts: number;
  peakAttemptsPerSecond: number;
  missing: number;
}

const dataDir = mkdtempSync(join(tmpdir(), 'parley-storm-'));
const config = join(dataDir, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    scryptCost: 1024,
    limits: {
      connectionsPerIpPerMinute: 1_000_000,
      connectionsPerUser: 1000,
      maxConnections: 100_000,
      signUpsPerIpPerMinute: 1_000_000,
      signInsPerIpPerMinute: 1_000_000,
      signInsInFlightPerIp: 1_000_000,
      passwordQueue: 10_000,
    },
  }),
);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
// The default log level: the orchestrator waits for the "listening" line.
const args = ['--port', String(port), '--data', dataDir, '--config', config];
const log = (s: string) => console.log(`[storm] ${s}`);

let server = startServer(args);
const clients = fork(join(ROOT, 'bench/core/storm-clients.ts'), [], {
  execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
try {
  await server.ready;
  const users: { userId: string; token: string }[] = [];
  for (let i = 0; i < USERS; i++) {
    const cred = { username: `storm-user-${i}`, password: 'storm password' };
    await post(`${base}/v1/users`, cred);
    const t = await post(`${base}/v1/tokens`, cred);
    users.push({ userId: String(t.userId), token: String(t.token) });
  }
  log(`${CLIENTS} clients connecting`);
  await ask(
    clients,
    {
      type: 'start',
      url: `ws://127.0.0.1:${port}/v1/realtime`,
      users,
      clients: CLIENTS,
      group: GROUP,
    },
    'started',
    120_000,
  );
  log('all online; killing the server (SIGKILL)');
  server.child.kill('SIGKILL');
  await new Promise((r) => server.child.once('exit', r));
  await new Promise((r) => setTimeout(r, DOWNTIME_MS));
  server = startServer(args);
  await server.ready;
  const texts = Array.from({ length: MESSAGES }, (_, i) => `after restart ${i}`);
  await ask(clients, { type: 'mark', expectTexts: texts }, 'marked', 10_000);
  // Messages posted the moment the server is back, while most clients are still waiting to retry:
  // they reach them live or through resume.
  const publisher = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime`);
  await new Promise((r) => publisher.once('open', r));
  const authed = new Promise<void>((resolve, reject) => {
    publisher.on('message', (d) => {
      const f = JSON.parse(d.toString()) as {
        type: string;
        success?: boolean;
        ok?: boolean;
        error?: unknown;
      };
      if (f.type === 'authresponse') {
        if (f.success) resolve();
        else reject(new Error(`publisher refused: ${JSON.stringify(f.error)}`));
      } else if (f.type === 'reply' && !f.ok) {
        reject(new Error(`a post was refused: ${JSON.stringify(f.error)}`));
      }
    });
  });
  publisher.send(JSON.stringify({ type: 'authrequest', id: 'a', token: users[0]!.token }));
  await authed;
  for (const [i, text] of texts.entries()) {
    publisher.send(
      JSON.stringify({
        type: 'post',
        id: `p${i}`,
        to: { group: GROUP },
        body: { text },
        clientMsgId: `storm-${i}`,
      }),
    );
  }
  log(`server back; ${MESSAGES} messages posted; waiting for the clients`);
  let report: Report = await ask(clients, { type: 'report' }, 'report', 10_000);
  const deadline = Date.now() + 60_000;
  while (report.resumed < report.clients && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    report = await ask(clients, { type: 'report' }, 'report', 10_000);
  }
  publisher.close();
  const result = {
    date: new Date().toISOString(),
    command: 'npm run bench:core',
    downtimeMs: DOWNTIME_MS,
    messages: MESSAGES,
    ...report,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/reconnect.json'), `${JSON.stringify(result, null, 2)}\n`);
  // NaN crosses IPC as null: a quantile not reached within the minute.
  const ms = (v: number | null) =>
    v === null || Number.isNaN(v) ? 'not reached' : `${v.toFixed(0)} ms`;
  log(
    `${report.resumed}/${report.clients} resumed; 99% by ${ms(report.p99Ms)} after the server was back ` +
      `(p50 ${ms(report.p50Ms)}, last ${ms(report.maxMs)}); ${report.attempts} attempts, ` +
      `peak ${report.peakAttemptsPerSecond}/s in any one second; messages missing: ${report.missing}`,
  );
} finally {
  clients.kill('SIGKILL');
  server.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
