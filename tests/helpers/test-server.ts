// Starts a real Parley server on port 0 with its own temporary data folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, withOverrides, type ConfigOverrides } from '../../src/server/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/server.js';
import { inject } from 'vitest';
import { openPostgresStore } from '../../src/server/store/postgres/index.js';
import { ProtoClient } from './proto-client.js';

export interface TestServer extends RunningServer {
  /** Registers a user over HTTP and signs in; returns the token. */
  user(username: string, password?: string): Promise<{ userId: string; token: string }>;
  /** A user, signed in and connected. */
  client(username: string, extra?: Record<string, unknown>): Promise<ProtoClient>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** `POST /v1/files` of `body` to `conversation` as `name`, with the user's token. */
  upload(
    token: string,
    conversation: string,
    name: string,
    body: Buffer | string,
    type?: string,
  ): Promise<Response>;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'parley-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(
  overrides: ConfigOverrides = {},
  opts: StartOptions & { dataDir?: string; keepData?: boolean } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir();
  const config = withOverrides(defaultConfig(dataDir), {
    port: 0,
    logLevel: 'silent',
    // A real scrypt, at a cost that keeps the suite fast.
    scryptCost: 1024,
    ...overrides,
    // Tests sign up many people from one address; the sign-up limit's own test sets it.
    limits: {
      signUpsPerIpPerMinute: 100_000,
      signInsPerIpPerMinute: 100_000,
      signInsInFlightPerIp: 1000,
      ...overrides.limits,
    },
  });
  // Under vitest.postgres.config.ts every test server keeps its data in a database of its own on
  // a private PostgreSQL: the same tests, run against the cluster store.
  const postgres = provided('postgresUrl');
  const store =
    opts.store ?? (postgres ? await openPostgresStore(await freshDatabase(postgres)) : undefined);
  // Under vitest.cluster.config.ts it is also a cluster node: Redis broker, registry and limits,
  // under a cluster name of its own (test servers share the one Redis).
  const redis = provided('redisUrl');
  if (redis && store && !opts.broker && overrides.broker === undefined) {
    config.broker = redis;
    config.clusterName = `t${process.pid}-${++clusters}`;
  }
  const server = await startServer(config, { ...opts, ...(store ? { store } : {}) });
  const tokens = new Map<string, { userId: string; token: string }>();

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  async function user(username: string, password = 'correct horse battery') {
    const known = tokens.get(username);
    if (known) return known;
    const created = await post('/v1/users', { username, password });
    if (created.status !== 201) {
      throw new Error(`creating ${username}: ${created.status} ${await created.text()}`);
    }
    const { userId } = (await created.json()) as { userId: string };
    const res = await post('/v1/tokens', { username, password });
    if (res.status !== 200)
      throw new Error(`token for ${username}: ${res.status} ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    const me = { userId, token };
    tokens.set(username, me);
    return me;
  }

  return {
    ...server,
    user,
    post,
    upload(token, conversation, name, body, type) {
      return fetch(`${server.url}/v1/files?${new URLSearchParams({ conversation, name })}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...(type ? { 'content-type': type } : {}) },
        body,
      });
    },
    async client(username, extra = {}) {
      const { token } = await user(username);
      return ProtoClient.connect(server.wsUrl, token, extra);
    },
    async stop() {
      await server.close();
      if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The private PostgreSQL (and Redis) of a `vitest.postgres.config.ts` (`.cluster.`) run; none
 * elsewhere (benchmarks).
 */
function provided(what: 'postgresUrl' | 'redisUrl'): string | undefined {
  try {
    return inject(what);
  } catch {
    return undefined; // not inside a vitest worker
  }
}

let databases = 0;
let clusters = 0;

/** A new, empty database on the private PostgreSQL the suite was given. */
async function freshDatabase(adminUrl: string): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `t_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return adminUrl.replace(/\/[^/]*$/, `/${name}`);
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by tests/postgres-setup.ts: the private PostgreSQL's admin URL. */
    postgresUrl?: string;
    /** Set by tests/cluster-setup.ts: the private Redis's URL. */
    redisUrl?: string;
  }
}
