// Starts a Janus (Debian's `janus` package) for group calls: our own generated configuration in a
// folder of its own, its WebSocket API on a loopback port only Parley's server speaks to (with an
// API secret), the VideoRoom plugin and the WebSocket transport and nothing else. Used by the
// tests (as they start PostgreSQL and Redis), by `npm start`, and by anyone running Parley
// without a Janus of their own.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const JANUS_BINARY = process.env.JANUS_PATH ?? '/usr/bin/janus';

/** Where Debian puts Janus's plugins and transports (multiarch), or JANUS_LIB. */
export function janusLibDir(): string | undefined {
  if (process.env.JANUS_LIB) return process.env.JANUS_LIB;
  if (!existsSync('/usr/lib')) return undefined;
  for (const entry of readdirSync('/usr/lib')) {
    const dir = join('/usr/lib', entry, 'janus');
    if (existsSync(join(dir, 'plugins', 'libjanus_videoroom.so'))) return dir;
  }
  return undefined;
}

/** Why Janus cannot be started here, or undefined when it can. */
export function janusProblem(): string | undefined {
  if (!existsSync(JANUS_BINARY)) {
    return `no Janus at ${JANUS_BINARY} (Debian: apt-get install janus; or set JANUS_PATH)`;
  }
  if (!janusLibDir()) return "Janus's VideoRoom plugin was not found (set JANUS_LIB)";
  if (!mediaAddress()) return 'this machine has no network interface Janus can use for media';
  return undefined;
}

/**
 * The address Janus gathers its media candidates on. Janus never offers loopback candidates
 * (its ICE setup skips loopback interfaces), so the closest it gets is one of this machine's
 * own addresses: packets to it never leave the machine.
 */
export function mediaAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export interface JanusInstance {
  /** Where the Parley server reaches its API: `ws://127.0.0.1:PORT`. */
  url: string;
  apiSecret: string;
  pid(): number | undefined;
  /** Stops it at once, as a crash would. */
  kill(): void;
  stop(): Promise<void>;
  /** What it printed (for a failure's message). */
  log(): string;
}

export interface JanusStartOptions {
  /** A folder of its own for the configuration (created if missing). */
  dir: string;
  /** Its API's port (a free loopback port when left out). */
  port?: number;
  /** First of 2,000 UDP ports for media (a random range when left out). */
  rtpFrom?: number;
  apiSecret?: string;
  /** How long to wait for its API to answer. */
  startTimeoutMs?: number;
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The configuration files of one Janus: names and contents. */
export function janusConfig(o: {
  dir: string;
  lib: string;
  port: number;
  rtpFrom: number;
  apiSecret: string;
  address: string;
}): Record<string, string> {
  return {
    'janus.jcfg': `general: {
  configs_folder = "${o.dir}"
  plugins_folder = "${join(o.lib, 'plugins')}"
  transports_folder = "${join(o.lib, 'transports')}"
  events_folder = "${join(o.lib, 'events')}"
  loggers_folder = "${join(o.lib, 'loggers')}"
  debug_level = 3
  api_secret = "${o.apiSecret}"
  session_timeout = 60
  server_name = "parley-sfu"
  protected_folders = ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var"]
}
media: {
  rtp_port_range = "${o.rtpFrom}-${o.rtpFrom + 1999}"
}
nat: {
  ice_enforce_list = "${o.address}"
  ignore_mdns = true
}
plugins: {
  disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
}
transports: {
  disable = "libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
events: {
  broadcast = false
}
`,
    'janus.transport.websockets.jcfg': `general: {
  json = "plain"
  ws = true
  ws_port = ${o.port}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`,
    // No rooms of its own: Parley's server creates one per call, with a random secret.
    'janus.plugin.videoroom.jcfg': `general: {
  admin_key = "${o.apiSecret}"
  lock_rtp_forward = true
}
`,
  };
}

/** Starts a Janus and resolves once its API answers `info`. */
export async function startJanus(options: JanusStartOptions): Promise<JanusInstance> {
  const problem = janusProblem();
  if (problem) throw new Error(problem);
  const port = options.port ?? (await freeLoopbackPort());
  const apiSecret = options.apiSecret ?? randomBytes(18).toString('base64url');
  const rtpFrom = options.rtpFrom ?? 20_000 + Math.floor(Math.random() * 20) * 2_000;
  mkdirSync(options.dir, { recursive: true });
  const files = janusConfig({
    dir: options.dir,
    lib: janusLibDir()!,
    port,
    rtpFrom,
    apiSecret,
    address: mediaAddress()!,
  });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(options.dir, name), text);
  let log = '';
  const child: ChildProcess = spawn(
    JANUS_BINARY,
    ['--config', join(options.dir, 'janus.jcfg'), '--configs-folder', options.dir, '-o'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    // The last 64 KiB is enough to say why it stopped.
    log = (log + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `ws://127.0.0.1:${port}`;
  const instance: JanusInstance = {
    url,
    apiSecret,
    pid: () => child.pid,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
    log: () => log,
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`janus exited (${String(child.exitCode ?? child.signalCode)}):\n${log}`);
    }
    if (await answersInfo(url, apiSecret)) return instance;
    if (Date.now() > deadline) {
      instance.kill();
      throw new Error(`janus did not answer on ${url} in time:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One `info` request over the API: true when Janus answers it. */
function answersInfo(url: string, apiSecret: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'janus-protocol');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2_000);
    ws.on('open', () =>
      ws.send(JSON.stringify({ janus: 'info', transaction: 'up', apisecret: apiSecret })),
    );
    ws.on('message', (data: Buffer) => {
      done((JSON.parse(data.toString()) as { janus?: string }).janus === 'server_info');
    });
    ws.on('error', () => done(false));
  });
}
