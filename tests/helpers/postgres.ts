// A private PostgreSQL for tests: initdb in a temporary folder, the server on a free loopback
// port, stopped by the test. Never the machine's shared 5432. PostgreSQL refuses to run as root,
// so as root it runs as the `postgres` user (Debian's package creates it).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './wait.js';

/** The folder of PostgreSQL's programs, if this machine has them. */
export function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

export const HAVE_POSTGRES = postgresBin() !== undefined;

export interface TestPostgres {
  /** postgres://…/postgres on the private instance. */
  url: string;
  port: number;
  /** A new empty database on the instance; its URL. */
  database(name: string): Promise<string>;
  /** A fast shutdown (clients cut, work rolled back), then a start on the same port. */
  restart(): Promise<void>;
  /** The process the server runs under (its backends descend from it). */
  pid(): number;
  stop(): Promise<void>;
}

function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL here (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgresUser(join(bin, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale',
    'C',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  const [cmd, args] = asPostgresUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    // Tests want speed, not durability across power loss.
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ]);
  let child: ChildProcess;
  let log = '';
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const launch = async () => {
    child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        break;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline || child.exitCode !== null) {
          child.kill('SIGKILL');
          throw new Error(`PostgreSQL did not start:\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await launch();
  /** Stops the server through pg_ctl, which waits until it is down. */
  const pgCtlStop = (mode: 'fast' | 'immediate') => {
    const [cmd, args] = asPostgresUser(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', mode, '-w']);
    execFileSync(cmd, args, { stdio: 'pipe', timeout: 20_000 });
  };
  return {
    url,
    port,
    async database(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`CREATE DATABASE "${name}"`);
      await client.end();
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    pid: () => child.pid!,
    async restart() {
      const gone = new Promise((r) => child.once('exit', r));
      // pg_ctl waits until the server is down (a signal to runuser would not reach it).
      pgCtlStop('fast');
      await gone;
      await launch();
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        try {
          pgCtlStop('immediate');
        } catch {
          child.kill('SIGKILL');
        }
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
