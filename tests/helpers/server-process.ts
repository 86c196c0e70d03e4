// Runs `parley-server` (src/server/main.ts) as a real child process, as a user would start it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  wsUrl: string;
  /** Everything the process printed. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runServerProcess(
  args: string[],
  // A deadline for the server's "listening" line, not a wait: a busy machine may take a while
  // to compile and start it.
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        const url = m[1]!;
        resolve({
          child,
          url,
          wsUrl: `${url.replace('http', 'ws')}/v1/realtime`,
          output: () => out,
          exited,
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Registers and signs in over HTTP. */
export async function signUp(baseUrl: string, username: string, password = 'durable password') {
  const created = await postJson(`${baseUrl}/v1/users`, { username, password });
  if (created.status !== 201) throw new Error(`sign-up ${username}: ${created.status}`);
  const { userId } = (await created.json()) as { userId: string };
  const t = await postJson(`${baseUrl}/v1/tokens`, { username, password });
  const { token } = (await t.json()) as { token: string };
  return { userId, token };
}

/**
 * Limits for a test that drives a server (or a cluster) from one address at a pace no person
 * would: every client connects from loopback, and each connection may send `requestsPerSecond`.
 */
export function loopbackLoadLimits(requestsPerSecond: number) {
  return {
    connectionsPerIpPerMinute: 100_000,
    signUpsPerIpPerMinute: 1000,
    signInsPerIpPerMinute: 100_000,
    signInsInFlightPerIp: 100_000,
    requestsPerSecond,
    requestBurst: requestsPerSecond,
  };
}
