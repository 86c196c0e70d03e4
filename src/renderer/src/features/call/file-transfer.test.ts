// FileTransfers against what the other side's client may send (security review M13). The two
// ends are joined by a small in-memory stand-in for RTCDataChannel (Node has none); everything
// else is the real class: header checks, the accept step, the size limits, the SHA-256 check.
import { describe, expect, it } from 'vitest';
import { FileTransfers, MAX_FILE_BYTES, safeFileName, type Transfer } from './file-transfer';

type Listener = (e: Event & { data?: unknown }) => void;

/** One end of a pair: `send` arrives at the other end as a message event, asynchronously. */
class ChannelEnd {
  readyState: RTCDataChannelState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  other!: ChannelEnd;
  private readonly listeners = new Map<string, Set<Listener>>();
  addEventListener(type: string, fn: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  removeEventListener(type: string, fn: Listener): void {
    this.listeners.get(type)?.delete(fn);
  }
  send(data: string | ArrayBufferView | ArrayBuffer): void {
    const copy =
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
          : data.slice(0);
    queueMicrotask(() => this.other.emit(copy));
  }
  emit(data: unknown): void {
    const e = Object.assign(new Event('message'), { data });
    for (const fn of this.listeners.get('message') ?? []) fn(e);
  }
}

function pair() {
  const a = new ChannelEnd();
  const b = new ChannelEnd();
  a.other = b;
  b.other = a;
  const seen: { a: Transfer[]; b: Transfer[] } = { a: [], b: [] };
  const sender = new FileTransfers(a as unknown as RTCDataChannel, (l) => (seen.a = l));
  const receiver = new FileTransfers(b as unknown as RTCDataChannel, (l) => (seen.b = l));
  return { a, b, sender, receiver, seen };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('FileTransfers (review M13)', () => {
  it('ignores headers without a valid size, name or hash: nothing is shown or held', async () => {
    const { a, seen } = pair();
    const sha256 = 'a'.repeat(64);
    a.send(JSON.stringify({ t: 'file', id: '1', name: { evil: true }, size: 10, sha256 }));
    a.send(JSON.stringify({ t: 'file', id: '2', name: 'no size', sha256 }));
    a.send(JSON.stringify({ t: 'file', id: '3', name: 'huge', size: MAX_FILE_BYTES + 1, sha256 }));
    a.send(JSON.stringify({ t: 'file', id: '4', name: 'bad hash', size: 1, sha256: 'x' }));
    await tick();
    a.send(new Uint8Array(1024 * 1024));
    await tick();
    expect(seen.b).toEqual([]);
  });

  it('takes nothing before the receiver accepts, then checks the SHA-256', async () => {
    const { sender, receiver, seen } = pair();
    const file = Object.assign(new Blob([new Uint8Array(300_000).fill(7)]), { name: 'a.bin' });
    const sending = sender.send(file);
    await tick();
    expect(seen.b).toMatchObject([{ state: 'offered', name: 'a.bin', done: 0 }]);
    expect(seen.a).toMatchObject([{ state: 'offered' }]);
    receiver.accept(seen.b[0]!.id);
    await sending;
    await tick();
    expect(seen.b).toMatchObject([{ state: 'done', done: 300_000 }]);
    expect(seen.a).toMatchObject([{ state: 'done' }]);
  });

  it('a declined file is never sent', async () => {
    const { sender, receiver, seen } = pair();
    const sending = sender.send(Object.assign(new Blob(['hello']), { name: 'x.txt' }));
    await tick();
    receiver.decline(seen.b[0]!.id);
    await sending;
    expect(seen.a).toMatchObject([{ state: 'declined' }]);
    expect(seen.b).toMatchObject([{ state: 'declined' }]);
  });

  it('stops a file that grows past its announced size and keeps none of it', async () => {
    const { a, receiver, seen } = pair();
    a.send(JSON.stringify({ t: 'file', id: 'big', name: 'b', size: 10, sha256: 'b'.repeat(64) }));
    await tick();
    receiver.accept('big');
    await tick();
    a.send(new Uint8Array(64 * 1024));
    await tick();
    expect(seen.b).toMatchObject([{ state: 'failed', problem: expect.stringMatching(/larger/) }]);
  });

  it('strips bidi and control characters from names', () => {
    expect(safeFileName('invoice\u202Etxt.exe')).toBe('invoicetxt.exe');
    expect(safeFileName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(safeFileName('\u0000\u200f')).toBe('file');
  });
});
