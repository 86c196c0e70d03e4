// A loopback TCP proxy for fault tests: it forwards, and on freeze() the connections it holds go
// silent without closing (a half-open socket: a sleeping laptop, a dead NAT entry).
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Stops forwarding on every current connection, without closing any. New ones still work. */
  freeze(): void;
  /** On every current connection, drops what the server sends; the client's frames still arrive. */
  loseReplies(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const pairs: [Socket, Socket][] = [];
  const frozen: [Socket, Socket][] = [];
  let count = 0;
  const server = createServer((client) => {
    count++;
    const upstream = connect(targetPort, host);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => count,
    freeze() {
      for (const [client, upstream] of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        // Swallow whatever arrives from now on, and keep both sockets open.
        client.removeAllListeners('close');
        upstream.removeAllListeners('close');
        frozen.push([client, upstream]);
      }
    },
    loseReplies() {
      for (const [client, upstream] of pairs.splice(0)) {
        upstream.unpipe(client);
        upstream.on('data', () => undefined);
        client.removeAllListeners('close');
        upstream.removeAllListeners('close');
        frozen.push([client, upstream]);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of [...pairs, ...frozen]) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
