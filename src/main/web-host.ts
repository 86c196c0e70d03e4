// Runs the desktop core behind the same IPC contract over a local WebSocket, and serves the built
// renderer, so the app runs in a browser: how tests and machines without Electron run it.
//
// Only this machine's pages may drive it: it listens on loopback only; the HTTP Host must be the
// loopback name and port it serves (no DNS rebinding); the WebSocket Origin must be that same
// origin; and the first frame must carry a secret made at launch. The secret travels only in the
// fragment of the launch URL it prints (`#k=...`), which browsers never send to a server: it once
// was written into the served page, where any local process could read it with a plain GET
// (security review M8). The page keeps it in its tab's sessionStorage.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, sep } from 'node:path';
import { requestPath } from '../shared/request-path.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_CHANNELS } from '../shared/ipc.js';
import { DisposableStore } from '../shared/lifecycle.js';
import type { DesktopCore } from './core/desktop-core.js';
import { handleInvoke } from './core/ipc-handler.js';

export const WEB_HOST_IPC_PATH = '/ipc';
const HELLO_TIMEOUT_MS = 5_000;
const MAX_FRAME_BYTES = 256 * 1024;
// The page's own meta CSP (src/renderer/index.html) and, in a header, what a meta cannot say:
// frame-ancestors. Styles are files only; React and the virtual list set styles through the
// CSSOM, which style-src does not govern.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "media-src 'self' blob: mediastream:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
};

export interface WebHost {
  /** The page's address, without the secret. */
  url: string;
  /** The address to open: the page with the secret in its fragment. */
  launchUrl: string;
  /** The launch secret (tests drive the IPC socket with it). */
  secret: string;
  port: number;
  close(): Promise<void>;
}

export interface WebHostOptions {
  core: DesktopCore;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  port?: number;
  log?: (message: string, err?: unknown) => void;
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const { core, rendererDir } = opts;
  const log = opts.log ?? (() => undefined);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`no built renderer in ${rendererDir}: run npm run build first`);
  }
  const secret = randomBytes(24).toString('base64url');
  const files = servedFiles(rendererDir);
  let allowedHosts = new Set<string>();

  // Neither listener may throw: an exception there ends the process, and with it the core and
  // the embedded server (review H1: `GET /%FF` and an upgrade to `//` once did).
  const http = createServer((req, res) => {
    try {
      serve(req, res);
    } catch (err) {
      log('serving a request failed', err);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('Bad request');
    }
  });
  function serve(req: IncomingMessage, res: ServerResponse): void {
    if (!allowedHosts.has(req.headers.host ?? '')) {
      res
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('This host name is not served here.');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // Only the files of the build, by their exact path: nothing is decoded into a file path.
    const path = requestPath(req.url);
    const file = path === undefined ? undefined : files.get(path === '/' ? '/index.html' : path);
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const headers = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    };
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : readFileSync(file));
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  http.on('upgrade', (req, socket, head) => {
    try {
      const origin = req.headers.origin ?? '';
      const host = req.headers.host ?? '';
      if (
        requestPath(req.url) !== WEB_HOST_IPC_PATH ||
        !allowedHosts.has(host) ||
        origin !== `http://${host}`
      ) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
    } catch (err) {
      log('an upgrade failed', err);
      socket.destroy();
    }
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const pages = new Set<WebSocket>();
  function attach(ws: WebSocket): void {
    let trusted = false;
    const hello = setTimeout(() => ws.close(4001, 'no hello'), HELLO_TIMEOUT_MS);
    ws.on('close', () => {
      clearTimeout(hello);
      pages.delete(ws);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      let frame: {
        type?: unknown;
        id?: unknown;
        channel?: unknown;
        args?: unknown;
        secret?: unknown;
      };
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        return;
      }
      if (!trusted) {
        const given = Buffer.from(typeof frame.secret === 'string' ? frame.secret : '');
        const expected = Buffer.from(secret);
        if (
          frame.type !== 'hello' ||
          given.length !== expected.length ||
          !timingSafeEqual(given, expected)
        ) {
          ws.close(4001, 'bad secret');
          return;
        }
        trusted = true;
        clearTimeout(hello);
        pages.add(ws);
        ws.send(JSON.stringify({ type: 'ready' }));
        return;
      }
      if (frame.type !== 'invoke' || typeof frame.id !== 'string') return;
      const id = frame.id;
      void handleInvoke(core, frame.channel, frame.args, (err, channel) =>
        log(`invoke ${channel} failed`, err),
      ).then((outcome) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id, outcome }));
      });
    });
  }

  const subs = new DisposableStore();
  for (const channel of EVENT_CHANNELS) {
    subs.add(
      core.on(channel, (value) => {
        const frame = JSON.stringify({ type: 'event', channel, value });
        for (const page of pages) page.send(frame);
      }),
    );
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    launchUrl: `${url}#k=${secret}`,
    secret,
    port,
    async close() {
      subs.dispose();
      for (const page of pages) page.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

/** Every file of the build, by the URL path it is served under (`/assets/x.js`). */
function servedFiles(rendererDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile())
        out.set(`/${relative(rendererDir, full).split(sep).join('/')}`, full);
    }
  };
  walk(rendererDir);
  return out;
}
