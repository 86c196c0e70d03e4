// Files over the call's `file-transfer` channel: a header with the name, size and SHA-256, then
// 64 KiB chunks. The sender never lets more than HIGH_WATER bytes queue in the channel (it waits
// for `bufferedamountlow`), so a big file costs no more memory than that on the way out. The
// receiver checks the SHA-256 of what arrived before offering it. Either side can cancel.

export const CHUNK_BYTES = 256 * 1024 - 1024;
const READ_BYTES = 4 * 1024 * 1024;
export const HIGH_WATER = 8 * 1024 * 1024;
export const LOW_WATER = 2 * 1024 * 1024;
/** Receiving keeps the file in memory until it is saved: a limit says so up front. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

type Header =
  | { t: 'file'; id: string; name: string; size: number; sha256: string }
  | { t: 'cancel'; id: string };

export interface Transfer {
  id: string;
  name: string;
  size: number;
  direction: 'out' | 'in';
  done: number;
  state: 'sending' | 'receiving' | 'verifying' | 'done' | 'cancelled' | 'corrupt' | 'failed';
  sha256?: string;
  /** Received and verified: an object URL to save it. */
  url?: string;
  /** The largest amount queued in the channel while sending (bytes). */
  maxBuffered?: number;
  /** performance.now() when the first chunk went (after hashing) and when the last did. */
  startedAt?: number;
  finishedAt?: number;
}

export async function sha256Hex(data: ArrayBuffer | Blob): Promise<string> {
  const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class FileTransfers {
  private readonly transfers = new Map<string, Transfer>();
  private readonly cancelled = new Set<string>();
  private incoming:
    { id: string; chunks: ArrayBuffer[]; header: Extract<Header, { t: 'file' }> } | undefined;

  constructor(
    private readonly channel: RTCDataChannel,
    private readonly changed: (list: Transfer[]) => void,
  ) {
    channel.bufferedAmountLowThreshold = LOW_WATER;
    channel.addEventListener('message', (e: MessageEvent) => void this.onMessage(e.data));
  }

  list(): Transfer[] {
    return [...this.transfers.values()];
  }

  async send(file: Blob & { name?: string }): Promise<void> {
    if (file.size > MAX_FILE_BYTES) throw new Error('files up to 512 MB can be sent in a call');
    const id = crypto.randomUUID();
    const name = file.name ?? 'file';
    this.put({
      id,
      name,
      size: file.size,
      direction: 'out',
      done: 0,
      state: 'sending',
      maxBuffered: 0,
    });
    const sha256 = await sha256Hex(file);
    this.put({ ...this.transfers.get(id)!, sha256 });
    if (this.channel.readyState === 'connecting') {
      await new Promise((resolve) =>
        this.channel.addEventListener('open', resolve, { once: true }),
      );
    }
    if (this.channel.readyState !== 'open') {
      this.put({ ...this.transfers.get(id)!, state: 'failed' });
      return;
    }
    this.channel.send(
      JSON.stringify({ t: 'file', id, name, size: file.size, sha256 } satisfies Header),
    );
    const startedAt = performance.now();
    let offset = 0;
    let block: Uint8Array<ArrayBuffer> | undefined;
    let blockStart = 0;
    let maxBuffered = 0;
    let lastReport = 0;
    while (offset < file.size) {
      if (this.cancelled.has(id)) return;
      if (this.channel.readyState !== 'open') {
        this.put({ ...this.transfers.get(id)!, state: 'failed' });
        return;
      }
      if (this.channel.bufferedAmount > HIGH_WATER) {
        await new Promise<void>((resolve) =>
          this.channel.addEventListener('bufferedamountlow', () => resolve(), { once: true }),
        );
        continue;
      }
      // Reading a Blob is a round trip to the browser process: read blocks of READ_BYTES and send
      // them in chunks from memory (reading each 64 KiB chunk alone ran at about 3 MB/s).
      if (!block || offset >= blockStart + block.byteLength) {
        blockStart = offset;
        block = new Uint8Array(await file.slice(offset, offset + READ_BYTES).arrayBuffer());
      }
      const at = offset - blockStart;
      const chunk = block.subarray(at, Math.min(at + CHUNK_BYTES, block.byteLength));
      this.channel.send(chunk);
      offset += chunk.byteLength;
      maxBuffered = Math.max(maxBuffered, this.channel.bufferedAmount);
      // Progress a few times a second, not per chunk.
      if (performance.now() - lastReport > 200 || offset === file.size) {
        lastReport = performance.now();
        this.put({ ...this.transfers.get(id)!, done: offset, maxBuffered });
      }
    }
    this.put({
      ...this.transfers.get(id)!,
      done: offset,
      maxBuffered,
      state: 'done',
      startedAt,
      finishedAt: performance.now(),
    });
  }

  cancel(id: string): void {
    const t = this.transfers.get(id);
    if (!t || (t.state !== 'sending' && t.state !== 'receiving')) return;
    this.cancelled.add(id);
    if (this.channel.readyState === 'open') {
      this.channel.send(JSON.stringify({ t: 'cancel', id } satisfies Header));
    }
    if (this.incoming?.id === id) this.incoming = undefined;
    this.put({ ...t, state: 'cancelled' });
  }

  dispose(): void {
    for (const t of this.transfers.values()) if (t.url) URL.revokeObjectURL(t.url);
  }

  private async onMessage(data: unknown): Promise<void> {
    if (typeof data === 'string') {
      let h: Header;
      try {
        h = JSON.parse(data) as Header;
      } catch {
        return;
      }
      if (h.t === 'file') {
        if (h.size > MAX_FILE_BYTES) return;
        this.incoming = { id: h.id, chunks: [], header: h };
        this.put({
          id: h.id,
          name: h.name,
          size: h.size,
          direction: 'in',
          done: 0,
          state: 'receiving',
          sha256: h.sha256,
          startedAt: performance.now(),
        });
        if (h.size === 0) await this.finish();
      } else if (h.t === 'cancel') {
        const t = this.transfers.get(h.id);
        if (this.incoming?.id === h.id) this.incoming = undefined;
        if (t && (t.state === 'sending' || t.state === 'receiving')) {
          this.cancelled.add(h.id);
          this.put({ ...t, state: 'cancelled' });
        }
      }
      return;
    }
    const inc = this.incoming;
    if (!inc || !(data instanceof ArrayBuffer)) return;
    inc.chunks.push(data);
    const t = this.transfers.get(inc.id)!;
    const done = t.done + data.byteLength;
    this.transfers.set(inc.id, { ...t, done });
    if (done >= inc.header.size) await this.finish();
    else if (inc.chunks.length % 32 === 0) this.put({ ...t, done });
  }

  private async finish(): Promise<void> {
    const inc = this.incoming!;
    this.incoming = undefined;
    const t = { ...this.transfers.get(inc.id)!, finishedAt: performance.now() };
    this.put({ ...t, state: 'verifying' });
    const blob = new Blob(inc.chunks);
    const actual = await sha256Hex(blob);
    if (actual !== inc.header.sha256) {
      this.put({ ...t, state: 'corrupt', sha256: actual });
      return;
    }
    this.put({
      ...t,
      done: inc.header.size,
      state: 'done',
      sha256: actual,
      url: URL.createObjectURL(blob),
    });
  }

  private put(t: Transfer): void {
    this.transfers.set(t.id, t);
    this.changed(this.list());
  }
}
