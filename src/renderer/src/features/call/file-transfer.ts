// Files over the call's `file-transfer` channel: a header with the name, size and SHA-256; the
// receiver accepts (or declines) it; then the chunks. The sender never lets more than HIGH_WATER
// bytes queue in the channel (it waits for `bufferedamountlow`), so a big file costs no more
// memory than that on the way out. The receiver checks every header (the other side's client is
// not trusted: security review M13), stops a file that grows past its announced size, caps what
// one connection may hand it in all, and checks the SHA-256 of what arrived before offering it.
// Either side can cancel.
// zod's tree-shakable build: this module is in the renderer's first bundle.
import * as z from 'zod/mini';

export const CHUNK_BYTES = 256 * 1024 - 1024;
const READ_BYTES = 4 * 1024 * 1024;
export const HIGH_WATER = 8 * 1024 * 1024;
export const LOW_WATER = 2 * 1024 * 1024;
/** Receiving keeps the file in memory until it is saved: a limit says so up front. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** What one connection may deliver in all: received files stay in memory until the call ends. */
export const MAX_RECEIVED_BYTES = 1024 * 1024 * 1024;
/** How long a sender waits for the other person to accept. */
export const ACCEPT_TIMEOUT_MS = 120_000;

/**
 * Bidirectional overrides, isolates and other invisible or control characters: a name such as
 * `invoice\u202Etxt.exe` would otherwise show as `invoiceexe.txt`.
 */
const UNSAFE_NAME_CHARS =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** A file name from the other side, safe to show and to save under. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(UNSAFE_NAME_CHARS, '').replace(/[/\\]/g, '_').trim();
  return cleaned.slice(0, 255) || 'file';
}

const transferId = z.string().check(z.minLength(1), z.maxLength(64));
const header = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('file'),
    id: transferId,
    name: z.pipe(z.string().check(z.maxLength(1024)), z.transform(safeFileName)),
    size: z.int().check(z.minimum(0), z.maximum(MAX_FILE_BYTES)),
    sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  }),
  z.object({ t: z.literal('accept'), id: transferId }),
  z.object({ t: z.literal('cancel'), id: transferId }),
]);
type Header = z.output<typeof header>;

export interface Transfer {
  id: string;
  name: string;
  size: number;
  direction: 'out' | 'in';
  done: number;
  state:
    | 'offered'
    | 'sending'
    | 'receiving'
    | 'verifying'
    | 'done'
    | 'cancelled'
    | 'declined'
    | 'corrupt'
    | 'failed';
  /** Why it failed or was refused, in words. */
  problem?: string;
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
  /** Offers not answered yet, by id. */
  private readonly offers = new Map<string, Extract<Header, { t: 'file' }>>();
  /** Senders waiting for the other side's answer, by id. */
  private readonly answers = new Map<string, (accepted: boolean) => void>();
  /** Bytes accepted from the other side so far (offers accepted count in full). */
  private accepted = 0;
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
      state: 'offered',
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
    const accepted = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ACCEPT_TIMEOUT_MS);
      this.answers.set(id, (yes) => {
        clearTimeout(timer);
        resolve(yes);
      });
    });
    this.answers.delete(id);
    if (this.cancelled.has(id)) return;
    if (!accepted) {
      this.put({ ...this.transfers.get(id)!, state: 'declined', problem: 'Not accepted.' });
      return;
    }
    this.put({ ...this.transfers.get(id)!, state: 'sending' });
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

  /** Takes a file the other side offered: it starts coming. */
  accept(id: string): void {
    const offer = this.offers.get(id);
    const t = this.transfers.get(id);
    if (!offer || !t || this.channel.readyState !== 'open') return;
    this.offers.delete(id);
    if (this.incoming) {
      this.decline(id, 'Another file is still coming: accept this one after it.');
      return;
    }
    if (this.accepted + offer.size > MAX_RECEIVED_BYTES) {
      this.decline(id, 'This call has already received 1 GB, the most it keeps.');
      return;
    }
    this.accepted += offer.size;
    this.incoming = { id, chunks: [], header: offer };
    this.channel.send(JSON.stringify({ t: 'accept', id } satisfies Header));
    this.put({ ...t, state: 'receiving', startedAt: performance.now() });
    if (offer.size === 0) void this.finish();
  }

  /** Refuses a file the other side offered. */
  decline(id: string, problem = 'Declined.'): void {
    const t = this.transfers.get(id);
    if (!t) return;
    this.offers.delete(id);
    if (this.channel.readyState === 'open') {
      this.channel.send(JSON.stringify({ t: 'cancel', id } satisfies Header));
    }
    this.put({ ...t, state: 'declined', problem });
  }

  cancel(id: string): void {
    const t = this.transfers.get(id);
    if (!t || (t.state !== 'sending' && t.state !== 'receiving' && t.state !== 'offered')) return;
    this.cancelled.add(id);
    this.answers.get(id)?.(false);
    this.offers.delete(id);
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
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        return;
      }
      const parsed = header.safeParse(json);
      if (!parsed.success) return; // not ours to show: a malformed or oversized header
      const h = parsed.data;
      if (h.t === 'file') {
        if (this.transfers.has(h.id) || this.offers.size >= 10) return;
        this.offers.set(h.id, h);
        this.put({
          id: h.id,
          name: h.name,
          size: h.size,
          direction: 'in',
          done: 0,
          state: 'offered',
          sha256: h.sha256,
        });
      } else if (h.t === 'accept') {
        this.answers.get(h.id)?.(true);
      } else {
        const t = this.transfers.get(h.id);
        this.answers.get(h.id)?.(false);
        this.offers.delete(h.id);
        if (this.incoming?.id === h.id) this.incoming = undefined;
        if (t?.state === 'offered' && t.direction === 'out') {
          this.cancelled.add(h.id);
          this.put({ ...t, state: 'declined', problem: 'They declined it.' });
        } else if (
          t &&
          (t.state === 'sending' || t.state === 'receiving' || t.state === 'offered')
        ) {
          this.cancelled.add(h.id);
          this.put({ ...t, state: 'cancelled' });
        }
      }
      return;
    }
    const inc = this.incoming;
    if (!inc || !(data instanceof ArrayBuffer)) return;
    const t = this.transfers.get(inc.id)!;
    const done = t.done + data.byteLength;
    if (done > inc.header.size) {
      // More than it announced: stopped, and nothing of it is kept.
      this.incoming = undefined;
      this.cancelled.add(inc.id);
      if (this.channel.readyState === 'open') {
        this.channel.send(JSON.stringify({ t: 'cancel', id: inc.id } satisfies Header));
      }
      this.put({ ...t, state: 'failed', problem: 'It was larger than announced and was stopped.' });
      return;
    }
    inc.chunks.push(data);
    this.transfers.set(inc.id, { ...t, done });
    if (done === inc.header.size) await this.finish();
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
