// Serves the publisher test page (tests/e2e/sfu-page/publisher-page.ts, bundled here with
// esbuild) on a loopback port, and opens pages of it in Chromium.
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';

const ENTRY = fileURLToPath(new URL('../e2e/sfu-page/publisher-page.ts', import.meta.url));

export interface PublisherSite {
  url: string;
  open(browser: Browser): Promise<Page>;
  stop(): Promise<void>;
}

export async function servePublisherPage(): Promise<PublisherSite> {
  const bundle = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'chrome120',
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  const html =
    '<!doctype html><meta charset="utf-8"><title>publishers</title><script src="/p.js"></script>';
  const server: Server = createServer((req, res) => {
    if (req.url === '/p.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    async open(browser) {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(() => 'sfuTest' in globalThis);
      return page;
    },
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
