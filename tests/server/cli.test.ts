// The command line as a person uses it: flags, a clear refusal of bad ones, and a clean stop.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCli } from '../../src/server/cli.js';
import { ProtoClient } from '../helpers/proto-client.js';
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
