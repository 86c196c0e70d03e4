// Where attachment bytes live. The server keeps only ids, names and sizes in its database; the
// bytes go to a BlobStore: the filesystem by default (under the data folder), and anything with
// the same four calls (an object store) for deployments that need one.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface BlobStore {
  /**
   * Streams `body` in as blob `id`. Rejects with BlobTooLarge past `maxBytes`; on any failure
   * (too large, the sender gone, a full disk) nothing is kept.
   */
  put(id: string, body: Readable, maxBytes: number): Promise<{ size: number; sha256: string }>;
  /** The blob's bytes, from `start` (a byte offset), or undefined when there is no such blob. */
  get(id: string, start?: number): Promise<{ size: number; stream: Readable } | undefined>;
  delete(id: string): Promise<void>;
}

export class BlobTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
  }
}

/** Ids are the server's own (`f_...`): letters, digits, _ and - only, so never a path. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Blobs as files: `dir/ab/<id>`, written to a temporary name and renamed when complete. */
export class FsBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private path(id: string): string {
    if (!ID.test(id)) throw new Error(`not a blob id: ${id}`);
    return join(this.dir, id.slice(-2), id);
  }

  async put(id: string, body: Readable, maxBytes: number) {
    const final = this.path(id);
    await mkdir(join(final, '..'), { recursive: true });
    const part = `${final}.${randomBytes(6).toString('hex')}.part`;
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new BlobTooLarge(maxBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(part, { flags: 'wx' }));
      await rename(part, final);
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
    return { size, sha256: hash.digest('hex') };
  }

  async get(id: string, start = 0) {
    const path = this.path(id);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { size: info.size, stream: createReadStream(path, { start }) };
  }

  async delete(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }
}
