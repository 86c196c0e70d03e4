// The Content-Security-Policy of every page the app shows: the built renderer as Electron loads it
// (its meta tag alone) and as the web host serves it (meta plus header). Checked as text, then in
// a real Chromium: inline scripts, inline handlers, eval and scripts from another origin are all
// refused, and nothing of theirs runs.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { openDesktop, type DesktopPage } from '../helpers/desktop-page.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

function directives(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

function metaPolicy(html: string): string {
  const m = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSP meta tag');
  return m[1]!;
}

/** What every policy of the app must say. */
function expectStrict(policy: string): void {
  const d = directives(policy);
  expect(d.get('default-src')).toEqual(["'self'"]);
  expect(d.get('script-src')).toEqual(["'self'"]);
  expect(d.get('style-src')).toEqual(["'self'"]);
  expect(d.get('object-src')).toEqual(["'none'"]);
  expect(d.get('base-uri')).toEqual(["'none'"]);
  expect(d.get('form-action')).toEqual(["'none'"]);
  // No unsafe-* keyword, no bare wildcard, no whole scheme (http: https: data: for scripts).
  expect(policy).not.toMatch(/unsafe-|(^|\s)\*(\s|;|$)|(^|\s)(https?|wss?):(\s|;|$)/);
  // Only loopback WebSockets (the web host) beyond the page's own origin.
  for (const src of d.get('connect-src') ?? []) {
    expect(src).toMatch(/^('self'|ws:\/\/(127\.0\.0\.1|localhost):\*)$/);
  }
}

/** Tries every way in; returns what ran and what the page reported as violations. */
async function attack(
  page: Page,
  foreignScript: string,
): Promise<{ ran: string[]; violations: string[] }> {
  // A string, run in the page (where the DOM is); DevTools' own evaluation is exempt from the
  // policy, so the attempts that matter run later, as the page's own tasks.
  return page.evaluate(`(async () => {
    globalThis.ran = [];
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
    const inline = document.createElement('script');
    inline.textContent = 'globalThis.ran.push("inline script")';
    document.body.append(inline);
    const holder = document.createElement('div');
    holder.innerHTML = '<img src="x:" onerror="globalThis.ran.push(\\'inline handler\\')">';
    document.body.append(holder);
    setTimeout(() => {
      try { (0, eval)('globalThis.ran.push("eval")'); } catch {}
      try { new Function('globalThis.ran.push("new Function")')(); } catch {}
    }, 0);
    setTimeout('globalThis.ran.push("string timer")', 0);
    const remote = document.createElement('script');
    remote.src = ${JSON.stringify(foreignScript)};
    document.body.append(remote);
    await new Promise((r) => setTimeout(r, 500));
    return { ran: globalThis.ran, violations };
  })()`);
}

describe.skipIf(!HAVE_CHROMIUM)('the CSP of every page', () => {
  let browser: Browser;
  let statics: Server;
  let foreign: Server;
  let staticUrl: string;
  let foreignUrl: string;
  let server: TestServer;
  let desktop: DesktopPage;

  beforeAll(async () => {
    // The built renderer with no HTTP policy: only its meta tag, as in Electron (file://).
    statics = createServer((req, res) => {
      const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
      const file = join(RENDERER, path || 'index.html');
      if (!file.startsWith(RENDERER) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    // Another origin offering a script (a port is an origin).
    foreign = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end('globalThis.ran.push("foreign script")');
    });
    for (const s of [statics, foreign]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    staticUrl = `http://127.0.0.1:${(statics.address() as AddressInfo).port}/`;
    foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/evil.js`;
    browser = await launchChromium();
    server = await startTestServer();
    desktop = await openDesktop(browser, server.url);
  });

  afterAll(async () => {
    await desktop?.close();
    await browser?.close();
    await server?.stop();
    for (const s of [statics, foreign]) await new Promise<void>((r) => s.close(() => r()));
  });

  it('the renderer as Electron loads it: a strict meta policy, enforced', async () => {
    const html = readFileSync(join(RENDERER, 'index.html'), 'utf8');
    expectStrict(metaPolicy(html));
    const page = await browser.newPage();
    try {
      await page.goto(staticUrl);
      await page.getByRole('heading', { name: 'Parley' }).waitFor();
      const { ran, violations } = await attack(page, foreignUrl);
      expect(ran).toEqual([]);
      expect(violations).toEqual(
        expect.arrayContaining(['script-src-elem', 'script-src-attr', 'script-src']),
      );
    } finally {
      await page.close();
    }
  });

  it('the renderer through the web host: the same policy, plus frame-ancestors in a header', async () => {
    const res = await fetch(desktop.host.url);
    const header = res.headers.get('content-security-policy') ?? '';
    expectStrict(header);
    expect(directives(header).get('frame-ancestors')).toEqual(["'none'"]);
    expectStrict(metaPolicy(await res.text()));
    await desktop.page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    const { ran, violations } = await attack(desktop.page, foreignUrl);
    expect(ran).toEqual([]);
    expect(violations).toEqual(
      expect.arrayContaining(['script-src-elem', 'script-src-attr', 'script-src']),
    );
  });
});
