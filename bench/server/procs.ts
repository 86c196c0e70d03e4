// The processes of a server benchmark: targets (servers under test) and load generators, each
// forked on its own, talked to over IPC with bounded waits. Shared by run.ts and cluster.ts.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job, LoadgenRequest, RunSpec } from './loadgen.js';
import type { TargetRequest, TargetStats } from './target.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export function child(file: string, args: string[]): ChildProcess {
  return fork(`${HERE}${file}`, args, {
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      '--max-old-space-size=4096',
      // BENCH_CPU_PROF=DIR: a V8 CPU profile of every process, written when it exits.
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends a message and waits for the first answer of one of the given types. */
export function ask<T>(
  proc: ChildProcess,
  msg: unknown,
  answers: string[],
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.off('message', onMessage);
      reject(new Error(`no answer to ${JSON.stringify(msg).slice(0, 80)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: { type: string; error?: string }) => {
      if (m.type === 'failed') {
        clearTimeout(timer);
        proc.off('message', onMessage);
        reject(new Error(m.error));
      } else if (answers.includes(m.type)) {
        clearTimeout(timer);
        proc.off('message', onMessage);
        resolve(m as T);
      }
    };
    proc.on('message', onMessage);
    if (msg !== undefined) proc.send(msg as object);
  });
}

export interface Target {
  proc: ChildProcess;
  port: number;
  stats(gc?: boolean): Promise<TargetStats>;
  mint(userIds: string[], count: number): Promise<string[]>;
  resetEld(): Promise<void>;
  /** Starts a CPU profile, or (with a file) writes it there. */
  profile(file?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTarget(
  kind: string,
  heartbeatMs = 25_000,
  extra: string[] = [],
): Promise<Target> {
  const proc = child('target.ts', [kind, String(heartbeatMs), ...extra]);
  const { port } = await ask<{ port: number }>(proc, undefined, ['ready'], 30_000);
  return {
    proc,
    port,
    stats: async (gc = false) =>
      (
        await ask<{ stats: TargetStats }>(
          proc,
          { type: 'stats', gc } satisfies TargetRequest,
          ['stats'],
          30_000,
        )
      ).stats,
    mint: async (userIds, count) =>
      (
        await ask<{ tokens: string[] }>(
          proc,
          { type: 'mint', userIds, count } satisfies TargetRequest,
          ['minted'],
          60_000,
        )
      ).tokens,
    profile: async (file) =>
      void (await ask(
        proc,
        { type: 'profile', ...(file ? { file } : {}) } satisfies TargetRequest,
        ['profiled'],
        30_000,
      )),
    resetEld: async () =>
      void (await ask(proc, { type: 'reset-eld' } satisfies TargetRequest, ['reset-eld'], 10_000)),
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.send({ type: 'stop' } satisfies TargetRequest);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      proc.kill('SIGKILL');
    },
  };
}

export async function signUpMany(
  port: number,
  count: number,
  prefix: string,
): Promise<{ userId: string; token: string }[]> {
  const base = `http://127.0.0.1:${port}`;
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const users: { userId: string; token: string }[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
      const username = `${prefix}${i + j}`;
      const password = 'bench password';
      const created = await post('/v1/users', { username, password });
      if (created.status !== 201) throw new Error(`sign-up ${username}: ${created.status}`);
      const { userId } = (await created.json()) as { userId: string };
      const t = (await (await post('/v1/tokens', { username, password })).json()) as {
        token: string;
      };
      return { userId, token: t.token };
    });
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

export interface Loadgen {
  pid: number;
  connect(job: Job): Promise<{ seconds: number; rate: number }>;
  run(spec: RunSpec, timeoutMs: number): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export function startLoadgen(): Loadgen {
  const proc = child('loadgen.ts', []);
  return {
    pid: proc.pid!,
    connect: (job) =>
      ask<{ seconds: number; rate: number }>(
        proc,
        { type: 'connect', job } satisfies LoadgenRequest,
        ['connected'],
        180_000,
      ),
    run: async (spec, timeoutMs) =>
      (
        await ask<{ result: Record<string, number> }>(
          proc,
          { type: 'run', spec } satisfies LoadgenRequest,
          ['result'],
          timeoutMs,
        )
      ).result,
    close: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.send({ type: 'close' } satisfies LoadgenRequest);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      proc.kill('SIGKILL');
    },
  };
}
