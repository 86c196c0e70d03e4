// Checks every HTTP request and WebSocket upgrade shares before its route: who may ask (Origin),
// under which name (Host), and from which address limits are counted.
import type { IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { requestPath } from '../shared/request-path.js';
import { proxiedAddress } from './proxy-protocol.js';

export { requestPath };
import type { ServerConfig } from './config.js';

/** Why a request was refused, for a 403 answer. */
export type GuardRefusal = { status: 403; message: string };

type GuardConfig = Pick<
  ServerConfig,
  'host' | 'publicUrl' | 'allowedHosts' | 'allowedOrigins' | 'trustProxy'
>;

function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

/** The host name of a Host header value (`name:port`, `[v6]:port`), lower case. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    // `[v6]` or `[v6]:port` only: an unclosed bracket (`[::1`) would otherwise read as `::`.
    const end = value.indexOf(']');
    const rest = end < 0 ? '' : value.slice(end + 1);
    return end > 0 && (rest === '' || /^:\d+$/.test(rest)) ? value.slice(1, end) : '';
  }
  const colon = value.lastIndexOf(':');
  return colon >= 0 ? value.slice(0, colon) : value;
}

export interface RequestGuard {
  /** null when the request may go on; the refusal otherwise. */
  check(req: IncomingMessage): GuardRefusal | null;
  /** The client's address, as limits count it. */
  clientAddress(req: IncomingMessage): string;
  /** Whether the request came over TLS (through a trusted proxy). */
  secure(req: IncomingMessage): boolean;
  /** Said once at start when any host name is accepted. */
  readonly acceptsAnyName: boolean;
}

export function createRequestGuard(config: GuardConfig): RequestGuard {
  const names = new Set(config.allowedHosts.map((h) => h.toLowerCase()));
  if (config.publicUrl) {
    try {
      names.add(new URL(config.publicUrl).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
    } catch {
      // cli.ts checks the URL's shape; a value that still does not parse adds no name.
    }
  }
  // A server listening on loopback only is reached by loopback names; one on the network
  // without any configured name cannot know its names, so it takes any (and says so at start).
  const acceptsAnyName = names.size === 0 && !isLoopbackHost(config.host);
  const origins = new Set(config.allowedOrigins.map((o) => o.toLowerCase()));

  return {
    acceptsAnyName,
    check(req) {
      // DNS rebinding needs a name that resolves to us: IP literals and localhost are safe.
      const host = hostName(req.headers.host ?? '');
      if (!acceptsAnyName && !isIP(host) && host !== 'localhost' && !names.has(host)) {
        return { status: 403, message: `this server does not answer to the name ${host || '""'}` };
      }
      // Parley's clients are native (the desktop core, bots): they send no Origin. A web page
      // always does, and no page may use a user's local server (review M10).
      const origin = req.headers.origin;
      if (origin !== undefined && !origins.has(origin.toLowerCase())) {
        return { status: 403, message: 'requests from web pages are not accepted' };
      }
      return null;
    },
    clientAddress(req) {
      const direct = proxiedAddress(req.socket as Socket) ?? req.socket.remoteAddress ?? 'unknown';
      if (!config.trustProxy) return direct;
      const forwarded = req.headers['x-forwarded-for'];
      const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
      // The proxy appends the address it saw; earlier entries are the client's own claims.
      const last = value?.split(',').pop()?.trim();
      return last && isIP(last) ? last : direct;
    },
    secure(req) {
      if (!config.trustProxy) return false;
      const proto = req.headers['x-forwarded-proto'];
      const value = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim();
      return value === 'https' || value === 'wss';
    },
  };
}
