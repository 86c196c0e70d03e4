// The RealtimeSocket of the desktop's main process (and of the web host): the `ws` package.
import WebSocket from 'ws';
import type { RealtimeSocket, SocketFactory } from './realtime-socket.js';

export const wsSocketFactory: SocketFactory = (url) => {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
  const socket: RealtimeSocket = {
    send: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    },
    terminate: () => ws.terminate(),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  ws.on('open', () => socket.onopen?.());
  ws.on('message', (data) => socket.onmessage?.(data.toString()));
  ws.on('close', (code, reason) => socket.onclose?.(code, reason.toString()));
  ws.on('error', (err) => socket.onerror?.(err.message));
  return socket;
};
