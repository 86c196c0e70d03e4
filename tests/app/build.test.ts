// The desktop app's toolchain: electron-vite builds main, preload and renderer without the
// Electron binary, and the built renderer renders in a real Chromium.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'out');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    {
      cwd: ROOT,
      stdio: 'pipe',
    },
  );
}, 120_000);

describe('electron-vite build', () => {
  it('emits main as an ES module and the sandboxed preload as CommonJS', () => {
    expect(readFileSync(join(OUT, 'main/index.js'), 'utf8')).toMatch(/from "electron"/);
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
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
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

if (!existsSync(CHROMIUM)) {
  console.log(`skipping the Chromium check: no browser at ${CHROMIUM} (apt-get install chromium)`);
}
