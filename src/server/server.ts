// Composition root of the server: store, broker, hub, gateway and HTTP on one port.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { REALTIME_PATH } from '../shared/protocol.js';
import { loadTokenSecret, PasswordHasher, TokenIssuer } from './auth.js';
import { InProcessBroker, topics, type Broker } from './broker.js';
import type { Cluster } from './cluster/cluster.js';
import type { ServerConfig } from './config.js';
import { Gateway } from './gateway/gateway.js';
import { FsBlobStore } from './files/blob-store.js';
import { FileService } from './files/file-service.js';
import { createHttpHandler } from './http/http.js';
import { Hub } from './hub/index.js';
import { createLogger } from './log.js';
import { createMetricsRegistry, startMetricsFeed } from './metrics.js';
import { localWindows } from './rate-limit.js';
import { LocalRegistry, type LiveRegistry } from './registry.js';
import { acceptProxyProtocol } from './proxy-protocol.js';
import { createRequestGuard } from './request-guard.js';
import { capSocketsPerAddress } from './http/body-limits.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  /** http://host:port */
  url: string;
  /** ws://host:port/v1/realtime */
  wsUrl: string;
  port: number;
  config: ServerConfig;
  hub: Hub;
  store: Store;
  tokens: TokenIssuer;
  /** Set in cluster mode (--broker). */
  cluster?: Cluster;
  /** Attachments: housekeeping (collecting unposted uploads) runs hourly, or when asked. */
  files: FileService;
  /** Closes every socket with 1001, then the database. Safe to call twice. */
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  broker?: Broker;
  store?: Store;
}

const HOUR = 3600_000;

/**
 * Test failpoints, read only when NODE_ENV=test (the fault tests of the cluster):
 * `exit-after-commit:K` ends the process after its K-th post is committed and before it is
 * published; `wedge-subscriber:MS` stops delivering Redis messages after MS until a reconnect;
 * `delay-subscriber:MS` handles every Redis message MS late.
 */
function failpoint(name: string): number | undefined {
  if (process.env.NODE_ENV !== 'test') return undefined;
  const [fp, value] = (process.env.PARLEY_FAILPOINT ?? '').split(':');
  return fp === name ? Number(value) : undefined;
}

function exitAfterCommit(): (() => void) | undefined {
  const k = failpoint('exit-after-commit');
  if (k === undefined) return undefined;
  let commits = 0;
  return () => {
    if (++commits === k) process.kill(process.pid, 'SIGKILL');
  };
}

/** The configured store: PostgreSQL for a `postgres://` URL, else the embedded SQLite file. */
async function openStore(config: ServerConfig, log: Logger): Promise<Store> {
  if (config.store) {
    // Loaded only here, so the embedded server (and the desktop app) never import pg.
    const { openPostgresStore } = await import('./store/postgres/index.js');
    try {
      return await openPostgresStore(config.store, {
        onBatchError: (err, size) =>
          log.warn({ err, size }, 'a batch of posts failed; stored one by one instead'),
      });
    } catch (err) {
      // Said without the URL's user name or password.
      const where = new URL(config.store);
      throw new Error(
        `cannot open the PostgreSQL store at ${where.host}${where.pathname}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return openSqliteStore(join(config.dataDir, 'parley.db'), { fsync: config.fsync });
}

export async function startServer(
  config: ServerConfig,
  opts: StartOptions = {},
): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true });
  const clustered = config.store !== undefined;
  if (clustered && (process.env.PARLEY_TOKEN_SECRET ?? '').length < 32) {
    // Each server would sign tokens with its own secret, and every other would refuse them.
    throw new Error(
      'a shared store needs PARLEY_TOKEN_SECRET (at least 32 characters), the same on every server',
    );
  }
  const tokens = new TokenIssuer(loadTokenSecret(config.dataDir), config.tokenTtlSeconds);
  const store = opts.store ?? (await openStore(config, log));
  let cluster: Cluster | undefined;
  if (config.broker) {
    const { openCluster } = await import('./cluster/cluster.js');
    const wedge = failpoint('wedge-subscriber');
    const delay = failpoint('delay-subscriber');
    try {
      cluster = await openCluster({
        url: config.broker,
        ...(config.clusterName !== undefined ? { name: config.clusterName } : {}),
        ...(config.nodeId !== undefined ? { nodeId: config.nodeId } : {}),
        store,
        log,
        ...(wedge !== undefined ? { wedgeAfterMs: wedge } : {}),
        ...(delay !== undefined ? { delayMs: delay } : {}),
      });
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const broker = opts.broker ?? cluster?.broker ?? new InProcessBroker();
  const registry: LiveRegistry = cluster?.registry ?? new LocalRegistry();
  const local = cluster ? undefined : localWindows();
  const windows = cluster?.windows ?? local!;
  if (clustered && !opts.broker && !cluster) {
    log.warn(
      "PostgreSQL store with the in-process broker: live events reach only this server's own " +
        'clients (others get them on resume). Run one server per database until a shared broker exists.',
    );
  }
  const passwords = new PasswordHasher(config.scryptCost, config.limits.passwordQueue);
  const guard = createRequestGuard(config);
  if (guard.acceptsAnyName) {
    log.warn(
      'listening beyond loopback with no --public-url or allowedHosts: any Host name is accepted',
    );
  }
  const files = new FileService(
    store,
    new FsBlobStore(join(config.dataDir, 'files')),
    config.limits.maxFileBytes,
    config.limits.storageQuotaBytes,
  );
  const afterCommit = exitAfterCommit();
  const hub = new Hub({
    store,
    broker,
    registry,
    ...(afterCommit ? { afterCommit } : {}),
    limits: config.limits,
    resumeMaxEvents: config.resumeMaxEvents,
    iceServers: config.iceServers,
    sfu: config.sfu,
    onLog: (message, err) => log.info(err ? { err } : {}, message),
    deleteFiles: (ids) => files.deleteBlobs(ids),
    imageHeader: (id) => files.imageHeader(id),
    onError: (err, what) => log.error({ err }, `${what} failed`),
  });
  const gateway = new Gateway({ hub, store, tokens, config, log, guard, windows });
  cluster?.startRepair((convId, seq) => hub.announceHead(convId, seq));
  const metrics = createMetricsRegistry(hub, gateway);
  const stopFeed = startMetricsFeed(
    hub,
    gateway,
    broker,
    config.metricsIntervalMs,
    cluster?.nodeId,
  );
  const purge = async () => {
    hub.sweep();
    await store.purgeNotifications(Date.now() - config.notificationRetentionMs);
    await store.purgeExpired(Date.now());
    await files.collectUnposted(Date.now() - config.limits.unpostedFileGraceMs);
  };
  await purge();
  const purgeTimer = setInterval(
    () => void purge().catch((err: unknown) => log.error({ err }, 'purging expired rows failed')),
    HOUR,
  );
  purgeTimer.unref();
  const windowSweep = local ? setInterval(() => local.sweep(Date.now()), 60_000) : undefined;
  windowSweep?.unref();

  const http: Server = createServer(
    {
      // Node checks header timeouts on this interval (30 s by default); a slow-headers
      // (slowloris) socket should not outlive headersTimeout by much more than that.
      connectionsCheckingInterval: Math.min(1000, Math.max(100, config.headersTimeoutMs / 4)),
    },
    createHttpHandler({
      files,
      store,
      tokens,
      passwords,
      guard,
      config,
      log,
      metrics,
      windows,
      ...(cluster ? { healthy: () => cluster.healthy() } : {}),
      // This node's connections at once; every node's (this one included) through the broker,
      // on the user's topic, which each node holding their connections listens to (F9).
      onRevoked: (which) => {
        gateway.revoked(which);
        broker.publish(topics.user(which.userId), {
          ctl: 'revoked',
          ...(which.jti !== undefined ? { jti: which.jti } : {}),
        });
      },
      onProfile: (userId) =>
        void hub
          .profileChanged(userId)
          .catch((err: unknown) => log.error({ err }, 'telling contacts of a new picture failed')),
    }),
  );
  http.headersTimeout = config.headersTimeoutMs;
  // No whole-request deadline: a 200 MB upload may rightly take minutes. Bodies are bounded where
  // they are read instead (http/body-limits.ts): JSON bodies and pictures by a deadline, uploads
  // by a minimum rate and idleness, and all of them in number per address and per account.
  http.requestTimeout = 0;
  // Descriptors are what ran out first (F7): one address holds a bounded share of them.
  if (!config.proxyProtocol && !config.trustProxy) {
    capSocketsPerAddress(http, config.limits.httpSocketsPerAddress);
  }
  if (config.proxyProtocol) acceptProxyProtocol(http, log);
  http.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  http.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy(err);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info(
    {
      url,
      dataDir: config.dataDir,
      store: clustered ? 'postgres' : 'sqlite',
      ...(cluster ? { node: cluster.nodeId } : {}),
    },
    `Parley server listening on ${url}`,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: `ws://${host}:${port}${REALTIME_PATH}`,
    port,
    config: { ...config, port },
    hub,
    store,
    tokens,
    files,
    ...(cluster ? { cluster } : {}),
    close() {
      closing ??= (async () => {
        stopFeed();
        clearInterval(purgeTimer);
        clearInterval(windowSweep);
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        await gateway.close();
        http.closeAllConnections();
        await httpClosed;
        // Presence of the users who just lost their connections goes out before the store closes.
        await hub.settle();
        hub.dispose();
        await broker.close();
        await cluster?.close();
        await store.close();
        log.info('Parley server stopped');
      })();
      return closing;
    },
  };
}
