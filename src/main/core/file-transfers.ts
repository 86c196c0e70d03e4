// Attachments between the renderer and the server, through the main process (the renderer never
// holds the account's token). Bytes come and go in chunks the renderer asks for one at a time,
// so memory stays bounded in main whatever the file's size, and the renderer knows the progress
// of each: an upload is one streaming POST /v1/files; a download one GET /v1/files/ID.
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CodedError, knownCode } from '../../shared/errors.js';
import { FILE_CHUNK_BYTES } from '../../shared/files.js';

/** Transfers one account may have open at once. */
const MAX_OPEN = 8;

export class FileTransferError extends CodedError {}

export interface UploadedFile {
  fileId: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
}

interface Upload {
  req: ClientRequest;
  size: number;
  sent: number;
  response: Promise<UploadedFile>;
}

interface Download {
  res: IncomingMessage;
  size: number;
  received: number;
  /** Bytes read from the response and not yet handed out. */
  pending: Buffer[];
  ended: boolean;
  failed?: Error;
  wake?: () => void;
}

export class FileTransfers {
  private readonly uploads = new Map<string, Upload>();
  private readonly downloads = new Map<string, Download>();

  constructor(
    private readonly serverUrl: string,
    private readonly token: () => Promise<string>,
  ) {}

  /** Opens an upload of `size` bytes to a conversation; the bytes follow with sendChunk. */
  async startUpload(p: {
    conversation: string;
    name: string;
    type: string;
    size: number;
  }): Promise<{ uploadId: string }> {
    this.checkRoom();
    const q = new URLSearchParams({ conversation: p.conversation, name: p.name });
    const req = this.request(`/v1/files?${q}`, 'POST', await this.token(), {
      'content-type': p.type || 'application/octet-stream',
      'content-length': String(p.size),
    });
    const response = responseOf(req).then(async (res) => {
      const body = await readJson(res);
      if (res.statusCode !== 201) throw serverError(res.statusCode, body);
      return body as UploadedFile;
    });
    // The server may answer before the last byte (a refusal): kept until finish asks for it.
    response.catch(() => undefined);
    const uploadId = randomUUID();
    this.uploads.set(uploadId, { req, size: p.size, sent: 0, response });
    return { uploadId };
  }

  /** Sends the next bytes of an upload; answers once they are on their way (backpressure). */
  async sendChunk(uploadId: string, data: Buffer): Promise<{ sent: number }> {
    const u = this.upload(uploadId);
    if (u.sent + data.length > u.size) {
      this.cancelUpload(uploadId);
      throw new FileTransferError('BAD_REQUEST', 'more bytes than the file was said to have');
    }
    u.sent += data.length;
    try {
      await new Promise<void>((resolve, reject) => {
        u.req.write(data, (err) => (err ? reject(err) : resolve()));
        // The server refused it midway (too large, no access): that answer says why.
        u.response.catch(reject);
      });
    } catch (err) {
      this.uploads.delete(uploadId);
      u.req.destroy();
      if (err instanceof FileTransferError) throw err;
      // A write failed: the server's answer, if one came, says why; otherwise it was cut off.
      throw await u.response.then(
        () => new FileTransferError('DISCONNECTED', 'the upload was cut off; try again'),
        (refusal: unknown) => refusal,
      );
    }
    return { sent: u.sent };
  }

  /** Ends an upload and answers the server's record of the file. */
  async finishUpload(uploadId: string): Promise<UploadedFile> {
    const u = this.upload(uploadId);
    this.uploads.delete(uploadId);
    if (u.sent !== u.size) {
      u.req.destroy();
      throw new FileTransferError('BAD_REQUEST', 'the upload ended before the whole file was sent');
    }
    u.req.end();
    return u.response;
  }

  cancelUpload(uploadId: string): void {
    this.uploads.get(uploadId)?.req.destroy();
    this.uploads.delete(uploadId);
  }

  /** Opens a download; its bytes come with readChunk. */
  async startDownload(fileId: string): Promise<{ downloadId: string; size: number; type: string }> {
    this.checkRoom();
    const res = await this.get(`/v1/files/${encodeURIComponent(fileId)}`);
    const d: Download = {
      res,
      size: Number(res.headers['content-length'] ?? 0),
      received: 0,
      pending: [],
      ended: false,
    };
    res.on('data', (chunk: Buffer) => {
      d.pending.push(chunk);
      // Main holds at most a few chunks: the socket waits while the renderer catches up.
      if (pendingBytes(d) >= 2 * FILE_CHUNK_BYTES) res.pause();
      d.wake?.();
    });
    res.on('end', () => {
      d.ended = true;
      d.wake?.();
    });
    res.on('error', (err) => {
      d.failed = err;
      d.wake?.();
    });
    const downloadId = randomUUID();
    this.downloads.set(downloadId, d);
    return { downloadId, size: d.size, type: String(res.headers['content-type'] ?? '') };
  }

  /** The next bytes of a download (at most FILE_CHUNK_BYTES); `done` with the last. */
  async readChunk(downloadId: string): Promise<{ data: Buffer; done: boolean }> {
    const d = this.downloads.get(downloadId);
    if (!d) throw new FileTransferError('NOT_FOUND', 'that download is over or was cancelled');
    while (d.pending.length === 0 && !d.ended && !d.failed) {
      d.res.resume();
      await new Promise<void>((resolve) => (d.wake = resolve));
      d.wake = undefined;
    }
    if (d.failed) {
      this.downloads.delete(downloadId);
      throw new FileTransferError('DISCONNECTED', 'the download was cut off; try again');
    }
    const all = Buffer.concat(d.pending);
    const data = all.subarray(0, FILE_CHUNK_BYTES);
    d.pending = all.length > data.length ? [all.subarray(data.length)] : [];
    d.received += data.length;
    if (pendingBytes(d) < FILE_CHUNK_BYTES) d.res.resume();
    const done = d.ended && d.pending.length === 0;
    if (done) {
      this.downloads.delete(downloadId);
      if (d.received !== d.size) {
        throw new FileTransferError('DISCONNECTED', 'the download was cut off; try again');
      }
    }
    return { data, done };
  }

  cancelDownload(downloadId: string): void {
    this.downloads.get(downloadId)?.res.destroy();
    this.downloads.delete(downloadId);
  }

  /** Sets the user's picture (a small PNG, JPEG or WebP); answers its id. */
  async putAvatar(bytes: Buffer, type: string): Promise<{ avatar: string }> {
    const res = await this.send('/v1/users/me/avatar', 'PUT', bytes, type);
    return res as { avatar: string };
  }

  async removeAvatar(): Promise<void> {
    await this.send('/v1/users/me/avatar', 'DELETE');
  }

  /** A user's picture: its bytes and type (small: read whole). */
  async avatar(id: string): Promise<{ data: Buffer; type: string }> {
    const res = await this.get(`/v1/avatars/${encodeURIComponent(id)}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > 1024 * 1024) {
        res.destroy();
        throw new FileTransferError('TOO_LARGE', 'that picture is too large');
      }
      chunks.push(c);
    }
    return { data: Buffer.concat(chunks), type: String(res.headers['content-type'] ?? '') };
  }

  /** A small request with a body (or none) whose answer is JSON. */
  private async send(path: string, method: string, body?: Buffer, type?: string) {
    const req = this.request(path, method, await this.token(), {
      ...(body ? { 'content-type': type ?? 'application/octet-stream' } : {}),
      'content-length': String(body?.length ?? 0),
    });
    req.end(body);
    const res = await responseOf(req);
    const answer = await readJson(res);
    if (res.statusCode !== 200) throw serverError(res.statusCode, answer);
    return answer;
  }

  dispose(): void {
    for (const id of [...this.uploads.keys()]) this.cancelUpload(id);
    for (const id of [...this.downloads.keys()]) this.cancelDownload(id);
  }

  private upload(uploadId: string): Upload {
    const u = this.uploads.get(uploadId);
    if (!u) throw new FileTransferError('NOT_FOUND', 'that upload is over or was cancelled');
    return u;
  }

  private checkRoom(): void {
    if (this.uploads.size + this.downloads.size >= MAX_OPEN) {
      throw new FileTransferError(
        'RATE_LIMITED',
        `at most ${MAX_OPEN} files at once; wait for one to finish`,
      );
    }
  }

  /** A GET answered 200, or the server's refusal as a FileTransferError. */
  private async get(path: string): Promise<IncomingMessage> {
    const req = this.request(path, 'GET', await this.token());
    req.end();
    const res = await responseOf(req);
    if (res.statusCode !== 200) throw serverError(res.statusCode, await readJson(res));
    return res;
  }

  private request(
    path: string,
    method: string,
    token: string,
    headers: Record<string, string> = {},
  ): ClientRequest {
    const url = new URL(path, this.serverUrl);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return send(url, { method, headers: { authorization: `Bearer ${token}`, ...headers } });
  }
}

function responseOf(req: ClientRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', (err) => reject(unreachable(err)));
  });
}

function pendingBytes(d: Download): number {
  let n = 0;
  for (const b of d.pending) n += b.length;
  return n;
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= 64 * 1024) chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The server's refusal, with its code and sentence. */
function serverError(status: number | undefined, body: unknown): FileTransferError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = error?.code === undefined ? 'INTERNAL' : knownCode(error.code);
  const message =
    typeof error?.message === 'string' ? error.message : `the server answered ${status ?? '?'}`;
  return new FileTransferError(code, message);
}

function unreachable(err: Error): FileTransferError {
  return new FileTransferError('DISCONNECTED', `the server could not be reached (${err.message})`);
}
