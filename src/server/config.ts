import { DEFAULT_PORT, type IceServer } from '../shared/protocol.js';

/** Every limit of protocol v1's table, with its default. All are configurable. */
export interface Limits {
  /** Largest WebSocket frame accepted; larger closes 1009. */
  maxFrameBytes: number;
  /** Largest message text, in UTF-8 bytes; larger answers TOO_LARGE. */
  maxTextBytes: number;
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
  /** Failed token checks (HTTP and WebSocket) per IP per minute before 429. */
  tokenFailuresPerIpPerMinute: number;
}

export interface ServerConfig {
  /** 0 picks a free port (tests). */
  port: number;
  host: string;
  dataDir: string;
  /** ws://.../v1/realtime as clients should open it; derived from the Host header when unset. */
  publicUrl?: string;
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
  requestsPerSecond: 20,
  requestBurst: 50,
  abuseRefusals: 100,
  abuseWindowMs: 10_000,
  connectionsPerIpPerMinute: 60,
  connectionsPerUser: 10,
  maxConnections: 50_000,
  maxBufferedBytes: 1024 * 1024,
  tokenFailuresPerIpPerMinute: 10,
};

export function defaultConfig(dataDir: string): ServerConfig {
  return {
    port: DEFAULT_PORT,
    host: '127.0.0.1',
    dataDir,
    registration: 'open',
    authTimeoutMs: 10_000,
    heartbeatMs: 25_000,
    tokenTtlSeconds: 30 * 24 * 3600,
    scryptCost: 1 << 15,
    resumeMaxEvents: 500,
    iceServers: [],
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
