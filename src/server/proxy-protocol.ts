// The PROXY protocol (v1 text and v2 binary, haproxy.org/download/2.6/doc/proxy-protocol.txt):
// behind HAProxy or nginx every connection starts with a header naming the client's address,
// which is what per-address limits must count (review scale-out §1.5 #7). With the option on, a
// connection without a valid header is closed: a client reaching the server directly could
// otherwise claim any address.
import type { Server } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Logger } from 'pino';

const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** v1's longest line (section 2.1), and a v2 header with TLVs kept well bounded. */
const V1_MAX = 107;
const V2_MAX = 16 + 1024;
const HEADER_TIMEOUT_MS = 5000;

const proxied = new WeakMap<Socket, string>();

/** The client address the proxy gave for this socket, if any. */
export function proxiedAddress(socket: Socket): string | undefined {
  return proxied.get(socket);
}

export type ProxyHeader =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; why: string }
  | { kind: 'ok'; length: number; address: string | undefined };

/** Parses a header at the start of `buf`; `address` is undefined for LOCAL (a health check). */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  const sig = buf.subarray(0, Math.min(12, buf.length));
  if (sig.equals(V2_SIGNATURE.subarray(0, sig.length)) && buf[0] === 0x0d) {
    if (buf.length < 16) return { kind: 'incomplete' };
    const versionCommand = buf[12]!;
    if (versionCommand >> 4 !== 2) return { kind: 'invalid', why: 'not version 2' };
    const length = 16 + buf.readUInt16BE(14);
    if (length > V2_MAX) return { kind: 'invalid', why: 'header too long' };
    if (buf.length < length) return { kind: 'incomplete' };
    const command = versionCommand & 0x0f;
    if (command === 0) return { kind: 'ok', length, address: undefined };
    if (command !== 1) return { kind: 'invalid', why: 'unknown command' };
    const family = buf[13]! >> 4;
    if (family === 1 && length >= 16 + 12) {
      return { kind: 'ok', length, address: [...buf.subarray(16, 20)].join('.') };
    }
    if (family === 2 && length >= 16 + 36) {
      const groups: string[] = [];
      for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(16 + i * 2).toString(16));
      return { kind: 'ok', length, address: groups.join(':') };
    }
    // UNSPEC or unix sockets: no address to count by; the proxy's own is used.
    return { kind: 'ok', length, address: undefined };
  }
  const prefix = 'PROXY ';
  const head = buf.subarray(0, Math.min(prefix.length, buf.length)).toString('latin1');
  if (!prefix.startsWith(head)) return { kind: 'invalid', why: 'no PROXY header' };
  const end = buf.indexOf('\r\n');
  if (end < 0) {
    return buf.length >= V1_MAX
      ? { kind: 'invalid', why: 'header too long' }
      : { kind: 'incomplete' };
  }
  if (end + 2 > V1_MAX) return { kind: 'invalid', why: 'header too long' };
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  if (parts[1] === 'UNKNOWN') return { kind: 'ok', length: end + 2, address: undefined };
  const [, family, source] = parts;
  if (parts.length !== 6 || (family !== 'TCP4' && family !== 'TCP6') || !source || !isIP(source)) {
    return { kind: 'invalid', why: 'malformed PROXY line' };
  }
  return { kind: 'ok', length: end + 2, address: source };
}

/**
 * Makes `server` read a PROXY header from every connection before HTTP sees it. Replaces the
 * server's own 'connection' listeners and calls them with the socket once the header is read.
 */
export function acceptProxyProtocol(server: Server, log: Logger): void {
  const listeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), HEADER_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      log.debug({ why, from: socket.remoteAddress }, 'refused a connection without a PROXY header');
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const header = parseProxyHeader(buffered);
      if (header.kind === 'incomplete') return;
      socket.off('data', onData);
      socket.off('error', fail);
      if (header.kind === 'invalid') {
        fail(header.why);
        return;
      }
      clearTimeout(timer);
      if (header.address) proxied.set(socket, header.address);
      const rest = buffered.subarray(header.length);
      // Synchronously, before the socket emits again: HTTP attaches its reader here.
      socket.pause();
      if (rest.length > 0) socket.unshift(rest);
      for (const listener of listeners) listener.call(server, socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', fail);
  });
}
