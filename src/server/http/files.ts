// Attachments and pictures over REST: uploads to a conversation, downloads for its readers, and
// each user's picture.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ErrorCode } from '../../shared/protocol.js';
import { INLINE_TYPES, MAX_AVATAR_BYTES } from '../files/file-service.js';
import type { BearerCheck } from './bearer.js';
import { BodyGate, readSmallBody, watchUploadRate } from './body-limits.js';
import type { HttpDeps } from './http.js';
import { HttpError, send, tooMany, type Route } from './respond.js';

/** An upload that sends nothing for this long is cut off. */
const UPLOAD_IDLE_MS = 30_000;

export function fileRoutes(deps: HttpDeps, { requireBearer }: BearerCheck): Route[] {
  const { limits } = deps.config;
  const bodies = new BodyGate(limits);
  const avatarChanges = deps.windows('avatar', limits.avatarChangesPerHour, 3600_000);

  /**
   * `POST /v1/files?conversation=KEY&name=NAME`, the bytes as the body with a Content-Length:
   * stored for the readers of that conversation. 201 `{fileId, name, type, size, sha256}`.
   */
  async function uploadFile(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const declared = req.headers['content-length'];
    const inFlight = bodies.enter(deps.guard.clientAddress(req), who.user.userId);
    const rate = watchUploadRate(req, limits.uploadMinBytesPerSecond);
    req.socket.setTimeout(UPLOAD_IDLE_MS, () => req.destroy());
    try {
      const file = await deps.files.upload(
        who.user.userId,
        {
          conversation: query.get('conversation'),
          name: query.get('name'),
          ...(req.headers['content-type'] ? { type: req.headers['content-type'] } : {}),
          ...(declared !== undefined && /^\d+$/.test(declared) ? { length: Number(declared) } : {}),
        },
        req,
      );
      send(res, 201, {
        fileId: file.fileId,
        name: file.name,
        type: file.type,
        size: file.size,
        sha256: file.sha256,
      });
    } finally {
      req.socket.setTimeout(0);
      rate.dispose();
      inFlight.dispose();
    }
  }

  /**
   * `GET /v1/files/ID` for a reader of its conversation: the bytes, an image shown inline and
   * anything else as a download, never sniffed or run. `Range: bytes=N-` resumes.
   */
  async function downloadFile(req: IncomingMessage, res: ServerResponse, fileId: string) {
    const who = await requireBearer(req);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const opened = await deps.files.open(who.user.userId, fileId, start);
    const { file } = opened;
    if (start > 0 && start >= file.size) {
      opened.stream.destroy();
      throw new HttpError(416, ErrorCode.BAD_REQUEST, `the file has ${file.size} bytes`, {
        'Content-Range': `bytes */${file.size}`,
      });
    }
    const inline = INLINE_TYPES.has(file.type);
    const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
    res.writeHead(start > 0 ? 206 : 200, {
      'Content-Type': inline ? file.type : 'application/octet-stream',
      'Content-Length': String(file.size - start),
      ...(start > 0 ? { 'Content-Range': `bytes ${start}-${file.size - 1}/${file.size}` } : {}),
      'Accept-Ranges': 'bytes',
      'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      // An id's bytes never change.
      'Cache-Control': 'private, max-age=31536000, immutable',
      ETag: `"${file.sha256}"`,
    });
    await pipeline(opened.stream, res);
  }

  /**
   * `PUT /v1/users/me/avatar`: the user's picture (PNG, JPEG or WebP, 512 KiB at most), whole
   * within the body deadline (a stalled picture held its socket forever: F7).
   */
  async function putAvatar(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    const verdict = await avatarChanges.hit(who.user.userId, Date.now());
    if (!verdict.ok) {
      throw tooMany(
        'you changed your picture often this hour; try again later',
        verdict.retryAfterMs,
      );
    }
    const inFlight = bodies.enter(deps.guard.clientAddress(req), who.user.userId);
    let bytes: Buffer;
    try {
      bytes = await readSmallBody(
        req,
        MAX_AVATAR_BYTES,
        limits.bodyDeadlineMs,
        `a picture is at most ${MAX_AVATAR_BYTES} bytes`,
      );
    } finally {
      inFlight.dispose();
    }
    const avatar = await deps.files.setAvatar(who.user.userId, bytes);
    deps.onProfile?.(who.user.userId);
    send(res, 200, { avatar });
  }

  async function removeAvatar(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    await deps.files.removeAvatar(who.user.userId);
    deps.onProfile?.(who.user.userId);
    send(res, 200, { avatar: null });
  }

  /** `GET /v1/avatars/ID`: a user's picture, for anyone signed in. */
  async function getAvatar(req: IncomingMessage, res: ServerResponse, id: string) {
    await requireBearer(req);
    const { type, bytes } = await deps.files.avatar(id);
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': String(bytes.length),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, max-age=31536000, immutable',
    });
    res.end(bytes);
  }

  return [
    { path: '/v1/files', methods: { POST: uploadFile } },
    { path: /^\/v1\/files\/([A-Za-z0-9_-]{1,64})$/, methods: { GET: downloadFile } },
    { path: '/v1/users/me/avatar', methods: { PUT: putAvatar, DELETE: removeAvatar } },
    { path: /^\/v1\/avatars\/([A-Za-z0-9_-]{1,64})$/, methods: { GET: getAvatar } },
  ];
}
