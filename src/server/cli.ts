// The server's command line: flags to a config, or a message for the person who typed them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import envPaths from 'env-paths';
import { z } from 'zod';
import { iceServer } from '../shared/schemas.js';
import { DEFAULT_PORT } from '../shared/protocol.js';
import { defaultConfig, withOverrides, type ServerConfig } from './config.js';

export const USAGE = `Usage: parley-server [options]

  --port N             port for HTTP and WebSocket (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDR          address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --store URL          postgres://USER@HOST:PORT/DB: keep data in PostgreSQL, shared by several
                       servers (cluster mode; needs PARLEY_TOKEN_SECRET). Default: SQLite in --data
  --broker URL         redis://HOST:PORT: share live events, presence and limits with the other
                       servers on the same --store (cluster mode)
  --node-id NAME       this server's name in the cluster (default: random)
  --cluster NAME       prefix of Redis keys and channels, to share one Redis (default: parley)
  --proxy-protocol     every connection starts with a PROXY protocol header (HAProxy
                       send-proxy-v2, nginx proxy_protocol): the client's real address
  --data DIR           folder for the database and the token secret
                       (default: ${defaultDataDir()})
  --public-url URL     the ws:// or wss:// URL clients should open, when behind a proxy
  --trust-proxy        trust X-Forwarded-Proto and X-Forwarded-For from a reverse proxy
                       (only when every request comes through that proxy)
  --registration MODE  open (default) or closed (only an administrator creates accounts)
  --log-level LEVEL    fatal, error, warn, info (default), debug, trace or silent
  --fsync              survive power loss, not only crashes (slower writes)
  --sfu URL            ws://HOST:PORT of a Janus (VideoRoom plugin, WebSocket transport) for
                       group calls of 5 to 25; repeat it for several (calls go to the least
                       loaded and move when one dies). Its API secret is PARLEY_SFU_SECRET
  --config FILE        a JSON file of settings and limits (docs/protocol.md, "Limits");
                       flags given on the command line win over it
  --help               this text`;

const positiveInt = z.number().int().positive();
const sfuUrl = z.string().regex(/^wss?:\/\/\S+$/, '--sfu is a ws:// or wss:// URL');
const sfuEndpoint = z.object({ url: sfuUrl, apiSecret: z.string().min(1).max(256) }).strict();
/** What a --config file may set: every limit, and the timings. Unknown keys are refused. */
const configFile = z
  .object({
    authTimeoutMs: positiveInt,
    heartbeatMs: positiveInt,
    tokenTtlSeconds: positiveInt,
    resumeMaxEvents: positiveInt,
    metricsIntervalMs: positiveInt,
    /** STUN/TURN servers for calls, e.g. [{"urls": "turn:turn.example.org", "username": ..., "credential": ...}]. */
    iceServers: z.array(iceServer).max(10),
    /** Janus instances: [{"url": "ws://127.0.0.1:8188", "apiSecret": "..."}]. */
    sfu: z.array(sfuEndpoint).max(32),
    headersTimeoutMs: positiveInt,
    /** Host names the server answers to, besides IP literals and localhost. */
    allowedHosts: z.array(z.string().min(1).max(253)).max(50),
    /** Browser origins allowed to call the API (none by default: clients are not web pages). */
    allowedOrigins: z.array(z.string().regex(/^https?:\/\/\S+$/)).max(50),
    trustProxy: z.boolean(),
    /** scrypt's N: a power of two, at least 2^10. Lower is faster sign-in and weaker hashes. */
    scryptCost: z
      .number()
      .int()
      .min(1024)
      .refine((n) => (n & (n - 1)) === 0, 'scryptCost is a power of two'),
    limits: z
      .object({
        maxFrameBytes: positiveInt,
        maxTextBytes: positiveInt,
        requestsPerSecond: positiveInt,
        requestBurst: positiveInt,
        abuseRefusals: positiveInt,
        abuseWindowMs: positiveInt,
        connectionsPerIpPerMinute: positiveInt,
        connectionsPerUser: positiveInt,
        maxConnections: positiveInt,
        maxBufferedBytes: positiveInt,
        tokenFailuresPerIpPerMinute: positiveInt,
        signInFailuresPerUserPerMinute: positiveInt,
        signUpsPerIpPerMinute: positiveInt,
        signInsPerIpPerMinute: positiveInt,
        signInsInFlightPerIp: positiveInt,
        passwordQueue: positiveInt,
        signalsPerSecond: positiveInt,
        signalBytesPerSecond: positiveInt,
        httpBodiesPerAddress: positiveInt,
        httpBodiesPerUser: positiveInt,
        httpSocketsPerAddress: positiveInt,
        bodyDeadlineMs: positiveInt,
        uploadMinBytesPerSecond: positiveInt,
        storageQuotaBytes: positiveInt,
        avatarChangesPerHour: positiveInt,
        groupsCreatedPerUserPerDay: positiveInt,
        subscriptionsPerConnection: positiveInt,
        unpostedFileGraceMs: positiveInt,
      })
      .strict()
      .partial(),
  })
  .strict()
  .partial();

function readConfigFile(
  file: string,
): { overrides: z.output<typeof configFile> } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      error: e.code === 'ENOENT' ? `--config: no file ${file}` : `--config: ${file}: ${e.message}`,
    };
  }
  const parsed = configFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `--config: ${file}: ${issue.path.join('.') || 'settings'}: ${issue.message}` };
  }
  return { overrides: parsed.data };
}

export function defaultDataDir(): string {
  return join(envPaths('Parley', { suffix: '' }).data, 'server');
}

const flags = z.object({
  port: z.coerce
    .number({ message: '--port takes a number' })
    .int('--port takes a whole number')
    .min(0, '--port is 0 to 65535')
    .max(65535, '--port is 0 to 65535')
    .optional(),
  host: z.string().min(1).optional(),
  data: z.string().min(1, '--data takes a folder').optional(),
  store: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, '--store is a postgres:// URL')
    .optional(),
  broker: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, '--broker is a redis:// URL')
    .optional(),
  'node-id': z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, '--node-id is 1 to 64 letters, digits, dots, dashes')
    .optional(),
  'proxy-protocol': z.boolean().optional(),
  cluster: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, '--cluster is 1 to 64 letters, digits, dots, dashes')
    .optional(),
  'public-url': z
    .string()
    .regex(/^wss?:\/\/\S+$/, '--public-url is a ws:// or wss:// URL')
    .optional(),
  registration: z
    .enum(['open', 'closed'], { message: '--registration is open or closed' })
    .optional(),
  'log-level': z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: '--log-level is fatal, error, warn, info, debug, trace or silent',
    })
    .optional(),
  fsync: z.boolean().optional(),
  'trust-proxy': z.boolean().optional(),
  config: z.string().min(1, '--config takes a file').optional(),
  sfu: z.array(sfuUrl).max(32).optional(),
  help: z.boolean().optional(),
});

/** Turns argv into a config, or a message for the person who typed it. */
export function parseCli(
  argv: string[],
): { config: ServerConfig } | { help: true } | { error: string } {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        store: { type: 'string' },
        broker: { type: 'string' },
        'node-id': { type: 'string' },
        'proxy-protocol': { type: 'boolean' },
        cluster: { type: 'string' },
        'public-url': { type: 'string' },
        registration: { type: 'string' },
        'log-level': { type: 'string' },
        fsync: { type: 'boolean' },
        'trust-proxy': { type: 'boolean' },
        config: { type: 'string' },
        sfu: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const parsed = flags.safeParse(values);
  if (!parsed.success) return { error: parsed.error.issues.map((i) => i.message).join('; ') };
  const f = parsed.data;
  if (f.help) return { help: true };
  if (f.broker !== undefined && f.store === undefined) {
    return { error: '--broker needs --store: the servers of a cluster share one PostgreSQL' };
  }
  let config = defaultConfig(f.data ?? defaultDataDir());
  if (f.config !== undefined) {
    const file = readConfigFile(f.config);
    if ('error' in file) return file;
    config = withOverrides(config, file.overrides);
  }
  if (f.port !== undefined) config.port = f.port;
  if (f.host !== undefined) config.host = f.host;
  if (f.store !== undefined) config.store = f.store;
  if (f.broker !== undefined) config.broker = f.broker;
  if (f['node-id'] !== undefined) config.nodeId = f['node-id'];
  if (f['proxy-protocol']) config.proxyProtocol = true;
  if (f.cluster !== undefined) config.clusterName = f.cluster;
  if (f['public-url'] !== undefined) config.publicUrl = f['public-url'];
  if (f.registration !== undefined) config.registration = f.registration;
  if (f['log-level'] !== undefined) config.logLevel = f['log-level'];
  if (f.fsync) config.fsync = true;
  if (f['trust-proxy']) config.trustProxy = true;
  if (f.sfu !== undefined) {
    const apiSecret = process.env.PARLEY_SFU_SECRET;
    if (!apiSecret) return { error: "--sfu needs PARLEY_SFU_SECRET: Janus's api_secret" };
    config.sfu = f.sfu.map((url) => ({ url, apiSecret }));
  }
  return { config };
}
