// Attachments: who may upload to a conversation and fetch from it, and the record of each file.
// HTTP carries the bytes (http.ts); a message names its files in `body.files` and the hub checks
// them (checkFiles). Readers of a conversation may fetch its files; no one else learns they exist.
import { Readable } from 'node:stream';
import { MAX_AVATAR_SIDE } from '../../shared/files.js';
import { withoutInvisibleControls } from '../../shared/names.js';
import { ErrorCode } from '../../shared/protocol.js';
import { conversationAccess, mayReadConversation } from '../access.js';
import { newId } from '../store/rows.js';
import { FILE_MIN_CHARGE, type ConvId, type FileRecord, type Store } from '../store/store.js';
import { BlobTooLarge, type BlobStore } from './blob-store.js';
import { readImageHeader, type ImageHeader } from './image-header.js';

export class FileError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Types a browser may show inline from Parley's server; anything else is a download. */
export const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MAX_NAME_CHARS = 255;
// Control characters and path separators: what a name must not carry into a download.
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f/\\]/g;

/** A user's picture at most, in bytes: the client sends a small square (256 px). */
export const MAX_AVATAR_BYTES = 512 * 1024;

/** The picture formats taken as avatars, told by their first bytes (never by the client). */
export function imageType(bytes: Buffer): 'image/png' | 'image/jpeg' | 'image/webp' | undefined {
  const type = readImageHeader(bytes)?.type;
  return type === 'image/gif' ? undefined : type;
}

/** A file name as given, made safe to store and to offer back: no paths, no control characters. */
export function cleanName(name: string): string {
  const visible = withoutInvisibleControls(name.normalize('NFC'));
  const cleaned = Array.from(visible.replace(UNSAFE_IN_NAME, '_').trim())
    .slice(0, MAX_NAME_CHARS)
    .join('');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

/** A media type as `type/subtype`, lower case; anything else is application/octet-stream. */
export function cleanType(type: string | undefined): string {
  const t = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][\w.+-]{0,63}\/[a-z0-9][\w.+-]{0,127}$/.test(t) ? t : 'application/octet-stream';
}

/** Bytes read to find a picture's size (a JPEG's frame header may follow its metadata). */
const HEADER_BYTES = 64 * 1024;
/** Unposted uploads forgotten per sweep, at most (the next sweep takes the rest). */
const COLLECT_BATCH = 1000;

export class FileService {
  /** Bytes being uploaded now per user: counted against the quota before they land. */
  private readonly incoming = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly maxBytes: number,
    private readonly quotaBytes = Number.MAX_SAFE_INTEGER,
  ) {}

  get limit(): number {
    return this.maxBytes;
  }

  /** Stores an upload to a conversation the user may read. `length` is the declared size. */
  async upload(
    userId: string,
    p: { conversation: string | null; name: string | null; type?: string; length?: number },
    body: Readable,
  ): Promise<FileRecord> {
    if (p.length === undefined || !Number.isSafeInteger(p.length) || p.length < 0) {
      throw new FileError(411, ErrorCode.BAD_REQUEST, 'send the file with a Content-Length');
    }
    if (p.length > this.maxBytes) {
      throw new FileError(
        413,
        ErrorCode.TOO_LARGE,
        `the file is ${p.length} bytes; files are at most ${this.maxBytes} bytes`,
      );
    }
    if (!p.conversation) {
      throw new FileError(400, ErrorCode.BAD_REQUEST, 'say which conversation: ?conversation=');
    }
    const convId = await this.readable(userId, p.conversation);
    const charge = Math.max(p.length, FILE_MIN_CHARGE);
    const used = (await this.store.storageUsed(userId)) + (this.incoming.get(userId) ?? 0);
    if (used + charge > this.quotaBytes) {
      throw new FileError(
        413,
        ErrorCode.QUOTA_EXCEEDED,
        `your files take ${mib(used)} of your ${mib(this.quotaBytes)}; remove messages with files to make room`,
      );
    }
    this.incoming.set(userId, (this.incoming.get(userId) ?? 0) + charge);
    try {
      return await this.receive(userId, convId, p.length, p, body);
    } finally {
      const left = (this.incoming.get(userId) ?? charge) - charge;
      if (left > 0) this.incoming.set(userId, left);
      else this.incoming.delete(userId);
    }
  }

  private async receive(
    userId: string,
    convId: ConvId,
    length: number,
    p: { name: string | null; type?: string },
    body: Readable,
  ): Promise<FileRecord> {
    const fileId = newId('f');
    let stored: { size: number; sha256: string };
    try {
      stored = await this.blobs.put(fileId, body, Math.min(length, this.maxBytes));
    } catch (err) {
      if (err instanceof BlobTooLarge) {
        throw new FileError(413, ErrorCode.TOO_LARGE, 'the file is longer than it said');
      }
      throw new FileError(400, ErrorCode.BAD_REQUEST, 'the upload was cut off; send it again');
    }
    if (stored.size !== length) {
      await this.blobs.delete(fileId);
      throw new FileError(400, ErrorCode.BAD_REQUEST, 'the upload was cut off; send it again');
    }
    const record: FileRecord = {
      fileId,
      convId,
      uploaderId: userId,
      name: cleanName(p.name ?? 'file'),
      type: cleanType(p.type),
      size: stored.size,
      sha256: stored.sha256,
      createdAt: Date.now(),
    };
    await this.store.addFile(record);
    return record;
  }

  /** Deletes the bytes of files whose records are gone (a removed message's: F4). */
  async deleteBlobs(fileIds: readonly string[]): Promise<void> {
    for (const id of fileIds) await this.blobs.delete(id);
  }

  /** Forgets uploads never posted in a message and made before `before`, bytes and all (F8). */
  async collectUnposted(before: number): Promise<number> {
    let collected = 0;
    for (;;) {
      const ids = await this.store.takeUnattachedFiles(before, COLLECT_BATCH);
      await this.deleteBlobs(ids);
      collected += ids.length;
      if (ids.length < COLLECT_BATCH) return collected;
    }
  }

  /** What a stored file's first bytes say it is, if a picture (thumbnails are checked: F10). */
  async imageHeader(fileId: string): Promise<ImageHeader | undefined> {
    const blob = await this.blobs.get(fileId);
    if (!blob) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of blob.stream as AsyncIterable<Buffer>) {
      chunks.push(c);
      size += c.length;
      if (size >= HEADER_BYTES) break;
    }
    blob.stream.destroy();
    return readImageHeader(Buffer.concat(chunks));
  }

  /** A file the user may fetch now (a reader of its conversation), from byte `start`. */
  async open(userId: string, fileId: string, start = 0) {
    const file = await this.store.file(fileId);
    if (!file || !(await mayReadConversation(this.store, userId, file.convId))) {
      throw new FileError(404, ErrorCode.NOT_FOUND, `no file ${fileId}`);
    }
    const blob = await this.blobs.get(fileId, start);
    if (!blob) throw new FileError(404, ErrorCode.NOT_FOUND, `the file ${fileId} is gone`);
    return { file, ...blob };
  }

  /** Sets the user's picture (PNG, JPEG or WebP); the one it replaces is deleted. */
  async setAvatar(userId: string, bytes: Buffer): Promise<string> {
    if (bytes.length > MAX_AVATAR_BYTES) {
      throw new FileError(
        413,
        ErrorCode.TOO_LARGE,
        `a picture is at most ${MAX_AVATAR_BYTES} bytes`,
      );
    }
    const header = readImageHeader(bytes);
    if (!header || header.type === 'image/gif') {
      throw new FileError(
        415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        'a picture is a PNG, JPEG or WebP image',
      );
    }
    // Every viewer decodes it: no picture bombs (F10).
    if (header.width > MAX_AVATAR_SIDE || header.height > MAX_AVATAR_SIDE) {
      throw new FileError(
        413,
        ErrorCode.TOO_LARGE,
        `a picture is at most ${MAX_AVATAR_SIDE}×${MAX_AVATAR_SIDE} pixels`,
      );
    }
    const id = newId('av');
    await this.blobs.put(id, Readable.from([bytes]), MAX_AVATAR_BYTES);
    const old = await this.store.setAvatar(userId, id);
    if (old) await this.blobs.delete(old);
    return id;
  }

  async removeAvatar(userId: string): Promise<void> {
    const old = await this.store.setAvatar(userId, null);
    if (old) await this.blobs.delete(old);
  }

  /** A picture, for any signed-in user: only avatar ids (`av_`), never an attachment's. */
  async avatar(id: string): Promise<{ type: string; bytes: Buffer }> {
    const blob = id.startsWith('av_') ? await this.blobs.get(id) : undefined;
    if (!blob) throw new FileError(404, ErrorCode.NOT_FOUND, 'no such picture');
    const chunks: Buffer[] = [];
    for await (const c of blob.stream as AsyncIterable<Buffer>) chunks.push(c);
    const bytes = Buffer.concat(chunks);
    return { type: imageType(bytes) ?? 'application/octet-stream', bytes };
  }

  /** The conversation a key names, as the server knows it, if the user may read it. */
  private async readable(userId: string, key: string): Promise<ConvId> {
    const access = await conversationAccess(this.store, userId, key);
    if (access.ok) return access.convId;
    const refusals = {
      'not-a-conversation': [400, ErrorCode.BAD_REQUEST],
      'no-such-group': [404, ErrorCode.NOT_FOUND],
      'not-a-member': [403, ErrorCode.FORBIDDEN],
      'no-such-user': [404, ErrorCode.NOT_FOUND],
    } as const;
    const [status, code] = refusals[access.why];
    throw new FileError(status, code, access.message);
  }
}

const mib = (bytes: number) => `${Math.ceil(bytes / 1024 ** 2)} MiB`;
