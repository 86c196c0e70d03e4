import { DEFAULT_MAX_FILE_BYTES } from '../shared/files.js';
import { DEFAULT_PORT, type IceServer } from '../shared/protocol.js';

/** Every limit of protocol v1's table, with its default. All are configurable. */
export interface Limits {
  /** Largest WebSocket frame accepted; larger closes 1009. */
  maxFrameBytes: number;
  /** Largest message text, in UTF-8 bytes; larger answers TOO_LARGE. */
  maxTextBytes: number;
  /** Largest attachment, in bytes; larger answers 413 TOO_LARGE. */
  maxFileBytes: number;
  /** Token bucket per connection: steady rate and burst. */
  requestsPerSecond: number;
  requestBurst: number;
  /** Refused (rate-limited) requests within `abuseWindowMs` that close the socket with 4029. */
  abuseRefusals: number;
  abuseWindowMs: number;
  /** New WebSocket connections per IP per minute; more answer HTTP 429 at the upgrade. */
  connectionsPerIpPerMinute: number;
  /** Live connections per user; a new one past this is closed 4030 (the oldest are kept). */
  connectionsPerUser: number;
  /** Live connections per server; more answer HTTP 503 at the upgrade. */
  maxConnections: number;
  /** Bytes queued for a client that does not read; past this it is closed 4031. */
  maxBufferedBytes: number;
  /** Failed sign-ins (password checks) per account and address per minute before 429. */
  tokenFailuresPerIpPerMinute: number;
  /** Failed sign-ins per account per minute from all addresses together (distributed guessing). */
  signInFailuresPerUserPerMinute: number;
  /** Sign-in attempts (any account) per address per minute (F14); a right password is given back. */
  signInsPerIpPerMinute: number;
  /** Password checks one address may have running or queued at once (F16); past it 429. */
  signInsInFlightPerIp: number;
  /** Sign-ups per address per minute. */
  signUpsPerIpPerMinute: number;
  /** Password hashes running or waiting at once; past this sign-in answers 503 BUSY. */
  passwordQueue: number;
  /** Call signals from one user to another: per second (burst 4x), and bytes per second. */
  signalsPerSecond: number;
  signalBytesPerSecond: number;
  /** Request bodies read at once from one address; past this 429 (F7). */
  httpBodiesPerAddress: number;
  /** Request bodies (uploads, pictures) read at once for one account; past this 429. */
  httpBodiesPerUser: number;
  /** Open HTTP and WebSocket sockets from one address; past this a new one is closed at once. */
  httpSocketsPerAddress: number;
  /** A JSON body or a picture must arrive whole within this. */
  bodyDeadlineMs: number;
  /** An upload slower than this on average (after its first 30 s) is cut off. */
  uploadMinBytesPerSecond: number;
  /** Topics one connection may listen to, its own groups included (L3). */
  subscriptionsPerConnection: number;
  /** New groups one account may create per day (each fills the public list: L3). */
  groupsCreatedPerUserPerDay: number;
  /** Picture changes per account per hour (each reaches every contact: F15); past it 429. */
  avatarChangesPerHour: number;
  /** What one account's uploads may take, each file counted as at least 4 KiB (F8). */
  storageQuotaBytes: number;
  /** An upload not posted in a message within this is deleted. */
  unpostedFileGraceMs: number;
}

export interface ServerConfig {
  /** 0 picks a free port (tests). */
  port: number;
  host: string;
  dataDir: string;
  /**
   * Where data lives: unset for the embedded SQLite file in dataDir; a `postgres://` URL for a
   * database several servers share (cluster mode).
   */
  store?: string;
  /**
   * A `redis://` URL: live events, presence and limits shared with the other servers of a
   * cluster (needs a PostgreSQL store). Unset: this process alone.
   */
  broker?: string;
  /** This server's name in the cluster (unique per process); random when unset. */
  nodeId?: string;
  /**
   * Prefix of every Redis key and channel: clusters (or test servers) sharing one Redis keep
   * apart by it. Default `parley`.
   */
  clusterName?: string;
  /**
   * Every connection starts with a PROXY protocol header (HAProxy `send-proxy-v2`, nginx
   * `proxy_protocol on`), which gives the client's address for limits. Only behind such a proxy.
   */
  proxyProtocol: boolean;
  /** ws(s)://.../v1/realtime as clients should open it; derived from the request when unset. */
  publicUrl?: string;
  /**
   * Behind a reverse proxy: trust its X-Forwarded-Proto (the realtime URL's scheme) and
   * X-Forwarded-For (the client's address for limits). Off by default: anyone can send them.
   */
  trustProxy: boolean;
  /**
   * Host names this server answers to besides IP literals and localhost (DNS rebinding). Empty
   * with a non-loopback host and no publicUrl means any name (and a warning at start).
   */
  allowedHosts: string[];
  /** Browser origins allowed to call the HTTP API or open the WebSocket; none by default. */
  allowedOrigins: string[];
  registration: 'open' | 'closed';
  authTimeoutMs: number;
  heartbeatMs: number;
  tokenTtlSeconds: number;
  /** scrypt cost (N). Tests and benchmarks lower it; production keeps the default. */
  scryptCost: number;
  /** Events replayed per conversation on resume before `complete: false`. */
  resumeMaxEvents: number;
  /** STUN/TURN servers handed to signed-in clients for calls (`ice` request). */
  iceServers: IceServer[];
  /**
   * Janus instances for group calls (`--sfu`, or `sfu` in --config): the server places each
   * call on the least loaded and moves it when one dies. None: group calls are a mesh of 4.
   */
  sfu: { url: string; apiSecret: string }[];
  metricsIntervalMs: number;
  /** Queued notifications older than this are dropped. */
  notificationRetentionMs: number;
  /** How long a request's headers may take to arrive (slowloris). */
  headersTimeoutMs: number;
  /** SQLite synchronous=FULL: survives power loss, not only process death. Slower. */
  fsync: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  limits: Limits;
}

export const DEFAULT_LIMITS: Limits = {
  maxFrameBytes: 64 * 1024,
  maxTextBytes: 16 * 1024,
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  requestsPerSecond: 20,
  requestBurst: 50,
  abuseRefusals: 100,
  abuseWindowMs: 10_000,
  connectionsPerIpPerMinute: 60,
  connectionsPerUser: 10,
  maxConnections: 50_000,
  maxBufferedBytes: 1024 * 1024,
  tokenFailuresPerIpPerMinute: 10,
  signInFailuresPerUserPerMinute: 100,
  signInsPerIpPerMinute: 30,
  signInsInFlightPerIp: 2,
  signUpsPerIpPerMinute: 10,
  passwordQueue: 16,
  signalsPerSecond: 20,
  signalBytesPerSecond: 64 * 1024,
  httpBodiesPerAddress: 16,
  httpBodiesPerUser: 4,
  httpSocketsPerAddress: 256,
  bodyDeadlineMs: 30_000,
  uploadMinBytesPerSecond: 16 * 1024,
  avatarChangesPerHour: 12,
  groupsCreatedPerUserPerDay: 50,
  subscriptionsPerConnection: 500,
  storageQuotaBytes: 1024 ** 3,
  unpostedFileGraceMs: 24 * 3600 * 1000,
};

export function defaultConfig(dataDir: string): ServerConfig {
  return {
    port: DEFAULT_PORT,
    host: '127.0.0.1',
    dataDir,
    registration: 'open',
    trustProxy: false,
    proxyProtocol: false,
    allowedHosts: [],
    allowedOrigins: [],
    authTimeoutMs: 10_000,
    heartbeatMs: 25_000,
    tokenTtlSeconds: 30 * 24 * 3600,
    scryptCost: 1 << 15,
    resumeMaxEvents: 500,
    iceServers: [],
    sfu: [],
    metricsIntervalMs: 5_000,
    notificationRetentionMs: 7 * 24 * 3600 * 1000,
    headersTimeoutMs: 10_000,
    fsync: false,
    logLevel: 'info',
    limits: { ...DEFAULT_LIMITS },
  };
}

export type ConfigOverrides = Partial<Omit<ServerConfig, 'limits'>> & { limits?: Partial<Limits> };

export function withOverrides(base: ServerConfig, overrides: ConfigOverrides): ServerConfig {
  return { ...base, ...overrides, limits: { ...base.limits, ...overrides.limits } };
}
