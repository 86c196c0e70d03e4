// The desktop app's toolchain: electron-vite builds main, preload and renderer without the
// Electron binary (tests/global-setup.ts runs the build once); the built renderer renders in a
// real Chromium, alone and through the web host.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DesktopCore } from '../../src/main/core/desktop-core.js';
import { fileSecrets } from '../../src/main/core/file-secrets.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { startWebHost, type WebHost } from '../../src/main/web-host.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { RECORD_NOTIFICATIONS } from '../helpers/desktop-page.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/test-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'out');
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

describe('electron-vite build', () => {
  it('emits main as an ES module and the sandboxed preload as CommonJS', () => {
    const main = readFileSync(join(OUT, 'main/index.js'), 'utf8');
    expect(main).toMatch(/from "electron"/);
    // ws and zod are bundled: the packaged app carries no node_modules.
    expect(main).not.toMatch(/from "(ws|zod)"/);
    // ws's optional native helpers must stay real (failing) requires, which ws catches; an
    // empty stub in their place would break every client frame of 48 bytes or more.
    expect(main).not.toContain('__vite_optional_peer_dep');
    expect(main).toContain('__require("bufferutil")');
    expect(main).toContain('__require("utf-8-validate")');
    const preload = readFileSync(join(OUT, 'preload/index.cjs'), 'utf8');
    expect(preload).toMatch(/require\("electron"\)/);
    expect(preload).not.toMatch(/^import /m);
    expect(preload).toContain('exposeInMainWorld("parley"');
    // A sandboxed preload can require electron and nothing else.
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(existsSync(join(OUT, 'renderer/index.html'))).toBe(true);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('the built renderer in Chromium', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const dir = join(OUT, 'renderer');
    server = createServer((req, res) => {
      const path = normalize(new URL(req.url ?? '/', 'http://localhost').pathname).replace(
        /^\/+/,
        '',
      );
      const file = join(dir, path || 'index.html');
      if (!file.startsWith(dir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://localhost:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('renders the shell, with no console errors, and is screenshotted', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await expect(page.getByRole('heading', { name: 'Parley' }).isVisible()).resolves.toBe(true);
      // In a plain browser there is no desktop bridge, and the page says so.
      await expect(page.getByRole('alert').textContent()).resolves.toContain('no connection');
      mkdirSync(join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-results/app-shell.png') });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('the web host', () => {
  let server: TestServer;
  let core: DesktopCore;
  let host: WebHost;
  beforeAll(async () => {
    server = await startTestServer();
    const dataDir = tempDir();
    core = new DesktopCore({
      dataDir,
      secrets: fileSecrets(dataDir),
      socketFactory: wsSocketFactory,
      appInfo: { name: 'Parley', version: '0.1.0', platform: 'web' },
      openExternal: () => undefined,
      notify: (n) => core.push('notification:show', n),
    });
    host = await startWebHost({ core, rendererDir: join(OUT, 'renderer'), port: 0 });
  });
  afterAll(async () => {
    await host.close();
    core.dispose();
    await server.stop();
  });

  async function secretOf(): Promise<string> {
    // The page never carries the secret (review M8): any local process could GET it.
    const html = await (await fetch(host.url)).text();
    expect(html).not.toContain(host.secret);
    expect(html).not.toContain('parley-web-host');
    return host.secret;
  }

  /** A page-like client: same origin, hello with the secret; resolves once ready. */
  function page(secret: string, origin = `http://127.0.0.1:${host.port}`) {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ipc`, { origin });
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
    const opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        ws.send(JSON.stringify({ type: 'hello', secret }));
        resolve();
      });
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error('refused'), { status: res.statusCode })),
      );
      ws.once('error', reject);
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    let id = 0;
    const invoke = async (channel: string, args: unknown = {}) => {
      const my = String(++id);
      ws.send(JSON.stringify({ type: 'invoke', id: my, channel, args }));
      for (let i = 0; i < 500; i++) {
        const got = frames.find((f) => f.type === 'result' && f.id === my);
        if (got) return got.outcome as { ok: boolean; result?: unknown; error?: { code: string } };
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no answer to ${channel}`);
    };
    return { ws, opened, closed, invoke, frames };
  }

  it('serves the page with its secret, and nothing else: foreign hosts 403, traversal 404', async () => {
    expect(await secretOf()).toMatch(/^[\w-]{32}$/);
    const res = await fetch(host.url);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const foreign = await new Promise<number>((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: host.port, path: '/', headers: { host: 'evil.example' } },
        (r) => resolve(r.statusCode ?? 0),
      );
      req.end();
    });
    expect(foreign).toBe(403);
    const traversal = await new Promise<number>((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: host.port, path: '/../../package.json' },
        (r) => resolve(r.statusCode ?? 0),
      );
      req.end();
    });
    expect(traversal).toBe(404);
  });

  it('refuses a foreign origin at the upgrade and a wrong secret with 4001', async () => {
    const foreign = page(await secretOf(), 'http://evil.example');
    await expect(foreign.opened).rejects.toMatchObject({ status: 403 });
    const wrong = page('not-the-secret');
    await wrong.opened;
    expect(await wrong.closed).toBe(4001);
  });

  it('serves the IPC contract to a trusted page, against a real server', async () => {
    const p = page(await secretOf());
    await p.opened;
    expect(await p.invoke('app:info')).toEqual({
      ok: true,
      result: { name: 'Parley', version: '0.1.0', platform: 'web' },
    });
    expect(await p.invoke('fs:read')).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL' },
    });
    const signedUp = await p.invoke('accounts:signUp', {
      server: server.url,
      username: 'webby',
      password: 'web password',
    });
    expect(signedUp).toMatchObject({ ok: true, result: { username: 'webby' } });
    for (
      let i = 0;
      i < 200 && !p.frames.some((f) => f.type === 'event' && f.channel === 'account:status');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(p.frames.some((f) => f.type === 'event' && f.channel === 'account:status')).toBe(true);
    p.ws.close();
  });

  describe.skipIf(!existsSync(CHROMIUM))('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser.close());

    it('the page reaches the core through the bridge', async () => {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (e) => errors.push(e.message));
      tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await tab.goto(host.launchUrl);
      await tab.getByRole('heading', { name: 'Welcome to Parley' }).waitFor({ timeout: 5000 });
      await tab.screenshot({ path: join(ROOT, 'test-results/web-host-shell.png') });
      expect(errors).toEqual([]);
    });

    it('raises the core’s notifications with the browser Notification API', async () => {
      const context = await browser.newContext();
      await context.grantPermissions(['notifications'], { origin: host.url.replace(/\/$/, '') });
      const tab = await context.newPage();
      await tab.addInitScript(RECORD_NOTIFICATIONS);
      await tab.goto(host.launchUrl);
      await tab.getByRole('heading', { name: 'Welcome to Parley' }).waitFor({ timeout: 5000 });
      core.push('notification:show', {
        accountId: 'a',
        conversation: 'group:g',
        title: 'bob in g',
        body: 'hello',
      });
      await tab.waitForFunction(
        () => (globalThis as unknown as { shown: unknown[] }).shown.length > 0,
      );
      expect(
        await tab.evaluate(() => (globalThis as unknown as { shown: unknown[] }).shown),
      ).toEqual([{ title: 'bob in g', body: 'hello' }]);
      await context.close();
    });
  });
});

/**
 * The Electron binary, if it was ever downloaded. Requiring the `electron` package would try to
 * download it (Electron 42+ fetch the binary lazily), so look for it on disk instead.
 */
function electronBinary(): string | undefined {
  const dir = join(ROOT, 'node_modules/electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}
const ELECTRON = electronBinary();
if (!ELECTRON) {
  console.log(
    'skipping the Electron smoke test: no Electron binary here (it downloads at first launch)',
  );
}

describe.skipIf(!ELECTRON)('the Electron app (smoke)', () => {
  it('opens a sandboxed window whose page has the bridge and no Node', async () => {
    const app = await _electron.launch({
      executablePath: ELECTRON!,
      args: [join(OUT, 'main/index.js')],
      env: { ...process.env, ELECTRON_DISABLE_SECURITY_WARNINGS: '1' },
    });
    try {
      const win = await app.firstWindow();
      await win.getByRole('heading', { name: 'Parley' }).waitFor();
      const shape = await win.evaluate(() => ({
        bridge: typeof (globalThis as unknown as { parley?: { appInfo?: unknown } }).parley
          ?.appInfo,
        require: typeof (globalThis as unknown as { require?: unknown }).require,
        process: typeof (globalThis as unknown as { process?: unknown }).process,
      }));
      expect(shape).toEqual({ bridge: 'function', require: 'undefined', process: 'undefined' });
      await win.screenshot({ path: join(ROOT, 'test-results/electron-shell.png') });
    } finally {
      await app.close();
    }
  });
});

if (!existsSync(CHROMIUM)) {
  console.log(`skipping the Chromium check: no browser at ${CHROMIUM} (apt-get install chromium)`);
}
