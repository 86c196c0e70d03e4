// What the cluster tests share on the client side.
import { request } from 'node:http';
import type { ProtoClient } from '../helpers/proto-client.js';
import { type Frame } from '../helpers/proto-client.js';
import { until } from '../helpers/wait.js';

/** A frame received already or arriving within the time. */
export async function seen(c: ProtoClient, match: (f: Frame) => boolean, timeoutMs = 5000) {
  await until(() => c.frames.some(match), 'a frame', timeoutMs);
  return c.frames.find(match)!;
}

export const text = (t: string) => (f: Frame) =>
  f.event === 'message:send' && (f.data as { body: { text: string } }).body.text === t;

/** The seqs of `message:send` events of one conversation, in the order they arrived. */
export function seqsOf(c: ProtoClient, conversation: string): number[] {
  return c
    .events<{ conversation: string; seq: number }>('message:send')
    .filter((e) => e.conversation === conversation)
    .map((e) => e.seq);
}

/** POSTs JSON from a chosen loopback source address (a "client IP" the PROXY header carries). */
export function postFrom(
  localAddress: string,
  url: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let out = '';
        res.on('data', (c: Buffer) => (out += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
