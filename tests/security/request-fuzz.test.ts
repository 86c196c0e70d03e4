// Review C1 and H1: no request of any shape may end the Parley server or the web host. Both run
// as real processes; fast-check writes raw HTTP requests (odd targets such as `//`, `%FF`, bad
// Host headers, upgrades to anywhere) over plain TCP. Every one must get a 4xx answer, and both
// processes must still be up and serving afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/test-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = 5_000;

/** Request targets the review found or that break naive parsing. */
const NASTY_TARGETS = [
  '//',
  '//[',
  '//a:b@',
  '\\\\',
  '/%FF',
  '/%E0%A4%A',
  '/%',
  '/..%2f..%2fpackage.json',
  '/../../package.json',
  '*',
  'http://evil.example/',
  '//evil.example/v1/realtime',
  '/v1/realtime?%FF',
  '/ipc#',
  '/%00',
  '/v1/realtime/../healthz',
];

const targetChars = fc.constantFrom(
  ...'/abcxyz019%.-_~?#[]@:!$&\'()*+,;=\\"<>{}|^`'.split(''),
  '%FF',
  '%2e',
  '%00',
  'é',
);

const target = fc.oneof(
  fc.constantFrom(...NASTY_TARGETS),
  fc.array(targetChars, { maxLength: 40 }).map((cs) => `/${cs.join('')}`),
  fc.array(targetChars, { maxLength: 40 }).map((cs) => cs.join('')),
);

const hostHeader = (real: string) =>
  fc.oneof(
    fc.constant(real),
    fc.constantFrom(
      'evil.example',
      'evil.example:1234',
      '',
      '[',
      '[::1',
      'localhost.',
      'LOCALHOST',
      '127.0.0.1:99999',
      'a'.repeat(300),
      '%FF',
      '0x7f.1',
    ),
    fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
  );

interface RawRequest {
  method: string;
  target: string;
  host: string | undefined;
  upgrade: boolean;
  origin: string | undefined;
  contentType: string | undefined;
  extra: [string, string][];
}

const request = (realHost: string): fc.Arbitrary<RawRequest> =>
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'BREW'),
    target,
    host: fc.option(hostHeader(realHost), { nil: undefined }),
    upgrade: fc.boolean(),
    origin: fc.option(
      fc.constantFrom(`http://${realHost}`, 'http://evil.example', 'null', '', '%FF'),
      { nil: undefined },
    ),
    contentType: fc.option(fc.constantFrom('application/json', 'text/plain', '', ';;;'), {
      nil: undefined,
    }),
    extra: fc.array(
      fc.tuple(
        fc.constantFrom('X-Forwarded-For', 'X-Forwarded-Proto', 'Cookie', 'Accept', 'X-A'),
        fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, '')),
      ),
      { maxLength: 3 },
    ),
  });

function render(r: RawRequest): string {
  const lines = [`${r.method} ${r.target} HTTP/1.1`];
  if (r.host !== undefined) lines.push(`Host: ${r.host}`);
  if (r.upgrade) {
    lines.push(
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    );
  }
  if (r.origin !== undefined) lines.push(`Origin: ${r.origin}`);
  if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
  for (const [k, v] of r.extra) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Sends one raw request and resolves with the status code of the answer (0: none came). */
function statusOf(port: number, raw: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (status: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(0), 3_000);
    socket.on('connect', () => socket.write(raw, 'latin1'));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      if (m) done(Number(m[1]));
    });
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
  });
}

/** The path a well-formed origin-form target names (query and fragment dropped). */
function pathOf(t: string): string {
  return t.startsWith('/') && !t.startsWith('//') ? t.split(/[?#]/)[0]! : t;
}

async function fuzz(
  port: number,
  realHost: string,
  validTargets: ReadonlySet<string>,
  hostOk: (host: string) => boolean,
) {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request(realHost), async (r) => {
      const status = await statusOf(port, render(r));
      seen.set(status, (seen.get(status) ?? 0) + 1);
      if (validTargets.has(pathOf(r.target)) && r.host !== undefined && hostOk(r.host)) {
        // A real route, properly addressed: any answer but a failure.
        expect(status).toBeGreaterThanOrEqual(100);
        expect(status).toBeLessThan(500);
      } else {
        expect(status, `${JSON.stringify(render(r))} → ${status}`).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
      }
    }),
    { numRuns: RUNS },
  );
  return Object.fromEntries([...seen].sort());
}

describe('C1: the Parley server survives any request', () => {
  let proc: ServerProcess;
  beforeAll(async () => {
    proc = await runServerProcess(['--port', '0', '--data', tempDir(), '--log-level', 'info']);
  });
  afterAll(async () => {
    proc.child.kill('SIGTERM');
    await proc.exited;
  });

  it(`answers ${RUNS} generated requests with 4xx and stays up`, async () => {
    const port = Number(new URL(proc.url).port);
    const valid = new Set(['/healthz', '/v1/realtime/endpoint', '/v1/realtime', '/metrics']);
    // The server answers to IP literals and localhost, with any port (it may sit behind a proxy).
    const statuses = await fuzz(port, `127.0.0.1:${port}`, valid, (h) =>
      /^(localhost|127\.0\.0\.1)(:\d+)?$/i.test(h),
    );
    console.log(`[C1] server answers by status: ${JSON.stringify(statuses)}`);
    expect(proc.child.exitCode).toBeNull();
    expect((await fetch(`${proc.url}/healthz`)).status).toBe(200);
    // The review's exact crash, once more at the end.
    const crash = await statusOf(
      port,
      `GET // HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    );
    expect(crash).toBe(404);
    expect((await fetch(`${proc.url}/healthz`)).status).toBe(200);
  }, 240_000);
});

describe('H1: the web host survives any request', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/web-host-child.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`web host did not start:\n${out}`)), 20_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /WEBHOST (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    });
  });
  afterAll(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });

  it(`answers ${RUNS} generated requests with 4xx and stays up`, async () => {
    const port = Number(new URL(url).port);
    const valid = new Set(['/', '/index.html', '/ipc']);
    const statuses = await fuzz(
      port,
      `127.0.0.1:${port}`,
      valid,
      (h) => h === `127.0.0.1:${port}` || h === `localhost:${port}`,
    );
    console.log(`[H1] web host answers by status: ${JSON.stringify(statuses)}`);
    expect(child.exitCode).toBeNull();
    expect((await fetch(url)).status).toBe(200);
    for (const crash of ['/%FF', '/%E0%A4%A']) {
      expect(await statusOf(port, `GET ${crash} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)).toBe(
        404,
      );
    }
    expect((await fetch(url)).status).toBe(200);
  }, 240_000);
});
