import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { textFrame } from './ws-frame.js';

test('frames written raw to the socket are read by a real ws client, at every length boundary', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  // Byte lengths on each side of the header's size classes (7-bit, 16-bit, 64-bit), and a
  // multi-byte text whose length in bytes is not its length in characters.
  const texts = [0, 1, 125, 126, 127, 65_535, 65_536, 70_001].map((n) => 'x'.repeat(n));
  texts.push('é'.repeat(70));
  wss.on('connection', (ws, req) => {
    for (const t of texts) {
      const payload = Buffer.from(t);
      const frame = textFrame(payload);
      expect(textFrame(payload)).toBe(frame); // built once per payload
      req.socket.write(frame);
    }
    ws.send('done');
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      const text = String(data);
      if (text === 'done') resolve();
      else got.push(text);
    });
    client.on('error', reject);
  });
  expect(got).toEqual(texts);
  client.close();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});
