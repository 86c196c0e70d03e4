// The command line as a person uses it: flags, a clear refusal of bad ones, and a clean stop.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCli } from '../../src/server/cli.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { HAVE_POSTGRES, startPostgres } from '../helpers/postgres.js';
import { runServerProcess, signUp } from '../helpers/server-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('parseCli', () => {
  it('defaults to port 7420 and a data folder in the app-data directory', () => {
    const r = parseCli([]);
    expect('config' in r && r.config.port).toBe(7420);
    expect('config' in r && r.config.dataDir).toMatch(/Parley[/\\]server$/);
  });

  it('takes the cluster flags', () => {
    const r = parseCli([
      '--store',
      'postgres://db/parley',
      '--broker',
      'redis://127.0.0.1:6379',
      '--node-id',
      'p1',
      '--cluster',
      'staging',
      '--proxy-protocol',
    ]);
    expect(r).toMatchObject({
      config: {
        store: 'postgres://db/parley',
        broker: 'redis://127.0.0.1:6379',
        nodeId: 'p1',
        clusterName: 'staging',
        proxyProtocol: true,
      },
    });
  });

  it('takes --port, --data and the rest', () => {
    const r = parseCli(['--port', '9000', '--data', './d', '--registration', 'closed', '--fsync']);
    expect(r).toMatchObject({
      config: { port: 9000, dataDir: './d', registration: 'closed', fsync: true },
    });
  });

  it.each([
    [['--port', 'abc'], '--port takes a number'],
    [['--port', '70000'], '--port is 0 to 65535'],
    [['--port', '1.5'], '--port takes a whole number'],
    [['--registration', 'maybe'], '--registration is open or closed'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['stray'], 'Unexpected argument'],
    [['--port'], "Option '--port <value>' argument missing"],
    [['--config', '/nonexistent/parley.json'], '--config: no file /nonexistent/parley.json'],
    [['--broker', 'redis://127.0.0.1:6379'], '--broker needs --store'],
    [['--store', 'postgres://h/d', '--broker', 'http://x'], '--broker is a redis:// URL'],
    [['--node-id', 'has space'], '--node-id is 1 to 64 letters'],
  ])('refuses %j with a clear message', (argv, message) => {
    const r = parseCli(argv);
    expect('error' in r && r.error).toContain(message);
  });

  it('reads limits from --config, refusing unknown or wrong settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    dirs.push(dir);
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ heartbeatMs: 5000, limits: { connectionsPerUser: 3 } }));
    const r = parseCli(['--config', good, '--port', '1234']);
    expect(r).toMatchObject({
      config: {
        port: 1234,
        heartbeatMs: 5000,
        limits: { connectionsPerUser: 3, maxTextBytes: 16384 },
      },
    });
    const typo = join(dir, 'typo.json');
    writeFileSync(typo, JSON.stringify({ limits: { conectionsPerUser: 3 } }));
    expect(parseCli(['--config', typo])).toEqual({
      error: expect.stringContaining('Unrecognized key'),
    });
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ heartbeatMs: -1 }));
    expect(parseCli(['--config', wrong])).toEqual({
      error: expect.stringContaining('heartbeatMs'),
    });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ nope');
    expect(parseCli(['--config', broken])).toEqual({ error: expect.stringContaining('--config') });
  });
});

describe('the server process', () => {
  it('exits 2 with usage on a bad flag', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/server/main.ts', '--port', 'nope'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('parley-server: --port takes a number');
    expect(r.stderr).toContain('Usage: parley-server');
  });

  it('logs its URL once listening and, on SIGTERM, closes clients with 1001 and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    dirs.push(dataDir);
    const p = await runServerProcess(['--port', '0', '--data', dataDir]);
    expect(p.output().match(/Parley server listening on http:\/\/127\.0\.0\.1:\d+/g)).toHaveLength(
      1,
    );
    const { token } = await signUp(p.url, 'stopper');
    const c = await ProtoClient.connect(p.wsUrl, token);
    p.child.kill('SIGTERM');
    expect((await c.closed).code).toBe(1001);
    expect((await p.exited).code).toBe(0);
    expect(p.output()).toContain('Parley server stopped');
  });

  it('says so when the port is taken', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    dirs.push(dataDir);
    const p = await runServerProcess(['--port', '0', '--data', dataDir]);
    const port = new URL(p.url).port;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/server/main.ts', '--port', port, '--data', dataDir],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${port} is in use; pick another with --port`);
    p.child.kill('SIGTERM');
    await p.exited;
  });
});

describe('--store postgres:// (cluster mode)', () => {
  const run = (args: string[], env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 20_000,
    });

  it('takes only a postgres URL', () => {
    expect(parseCli(['--store', 'postgres://u@db:5432/parley'])).toMatchObject({
      config: { store: 'postgres://u@db:5432/parley' },
    });
    expect(parseCli(['--store', 'mysql://db'])).toEqual({ error: '--store is a postgres:// URL' });
  });

  it('refuses to start without a shared token secret, and says why', () => {
    const r = run(['--port', '0', '--store', 'postgres://postgres@127.0.0.1:1/x'], {
      PARLEY_TOKEN_SECRET: undefined,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('a shared store needs PARLEY_TOKEN_SECRET');
  });

  it('says which database it cannot reach, without the password', () => {
    const r = run(['--port', '0', '--store', 'postgres://parley:hunter2@127.0.0.1:1/parley'], {
      PARLEY_TOKEN_SECRET: 'a shared secret of at least thirty-two characters',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot open the PostgreSQL store at 127.0.0.1:1/parley');
    expect(r.stderr).not.toContain('hunter2');
  });

  it.skipIf(!HAVE_POSTGRES)(
    'two servers share one PostgreSQL: an account made on one signs in on the other',
    async () => {
      const pg = await startPostgres();
      const url = await pg.database('shared');
      const secret = 'a shared secret of at least thirty-two characters';
      const start = () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
        dirs.push(dataDir);
        return runServerProcess(['--port', '0', '--data', dataDir, '--store', url], 20_000, {
          PARLEY_TOKEN_SECRET: secret,
        });
      };
      const [a, b] = await Promise.all([start(), start()]);
      try {
        expect(a.output()).toContain('"store":"postgres"');
        const { userId, token } = await signUp(a.url, 'shared-user');
        // The token made by A opens a connection on B, and B sees the same account.
        const c = await ProtoClient.connect(b.wsUrl, token);
        expect(c.userId).toBe(userId);
        await c.close();
      } finally {
        for (const p of [a, b]) p.child.kill('SIGTERM');
        await Promise.all([a.exited, b.exited]);
        await pg.stop();
      }
    },
    60_000,
  );
});
