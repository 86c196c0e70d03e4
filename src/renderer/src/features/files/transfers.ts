// Attachments in the page: bytes go to and come from the main process in chunks (it holds the
// token and talks to the server), one chunk in flight at a time, so progress is exact and a
// cancel stops at the next chunk. Images get a small preview made here, uploaded beside them.
import { FILE_CHUNK_BYTES, MAX_THUMBNAIL_BYTES } from '../../../../shared/files';

export { formatBytes } from '../../../../shared/files';
import type { Uploader } from '../../state/slices/attachments';
import type { AccountInvoker } from '../../state/invoke';

const THUMB_MAX_PX = 320;
/** Types a preview is made of and the viewer shows (the server serves these inline). */
export const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export class TransferCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** A Blob's bytes as base64, by the browser's own encoder (a data: URL). */
function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(blob);
  });
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Uploads a file to a conversation; `onProgress` gets the bytes sent so far. */
export async function uploadFile(
  store: AccountInvoker,
  conversation: string,
  file: Blob,
  name: string,
  onProgress: (sent: number) => void,
  signal: AbortSignal,
): Promise<{ fileId: string; name: string; type: string; size: number }> {
  const accountId = store.currentAccount()!;
  const { uploadId } = await store.invoke('files:uploadStart', {
    accountId,
    conversation,
    name,
    type: file.type,
    size: file.size,
  });
  try {
    for (let at = 0; at < file.size; at += FILE_CHUNK_BYTES) {
      if (signal.aborted) throw new TransferCancelled();
      const data = await base64Of(file.slice(at, at + FILE_CHUNK_BYTES));
      const { sent } = await store.invoke('files:uploadChunk', { accountId, uploadId, data });
      onProgress(sent);
    }
    if (signal.aborted) throw new TransferCancelled();
    return await store.invoke('files:uploadFinish', { accountId, uploadId });
  } catch (err) {
    void store.invoke('files:uploadCancel', { accountId, uploadId }).catch(() => undefined);
    throw err;
  }
}

/** Downloads a file's bytes; `onProgress` gets the bytes received and the size. */
export async function downloadFile(
  store: AccountInvoker,
  fileId: string,
  onProgress: (received: number, size: number) => void,
  signal?: AbortSignal,
  /** Bytes fetched at most: a file the server says is larger, or sends more of, is refused. */
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Blob> {
  const accountId = store.currentAccount()!;
  const { downloadId, size, type } = await store.invoke('files:downloadStart', {
    accountId,
    fileId,
  });
  const tooLarge = () => new Error(`the file is larger than ${maxBytes} bytes; not fetched`);
  if (size > maxBytes) {
    void store.invoke('files:downloadCancel', { accountId, downloadId }).catch(() => undefined);
    throw tooLarge();
  }
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let received = 0;
  try {
    for (;;) {
      if (signal?.aborted) throw new TransferCancelled();
      const { data, done } = await store.invoke('files:downloadChunk', { accountId, downloadId });
      const bytes = bytesOf(data);
      parts.push(bytes);
      received += bytes.length;
      if (received > maxBytes) throw tooLarge();
      onProgress(received, size);
      if (done) break;
    }
  } catch (err) {
    void store.invoke('files:downloadCancel', { accountId, downloadId }).catch(() => undefined);
    throw err;
  }
  return new Blob(parts, { type });
}

/** An image's size and a small preview of it (WebP, at most 320 px a side); none for others. */
export async function makePreview(
  file: Blob,
): Promise<{ width: number; height: number; preview: Blob } | undefined> {
  if (!IMAGE_TYPES.has(file.type)) return undefined;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, THUMB_MAX_PX / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h);
    // A server takes thumbnails of MAX_THUMBNAIL_BYTES at most: a busy picture gets a lower
    // quality, and none at all if even that is too large.
    let preview: Blob | null = null;
    for (const quality of [0.8, 0.5]) {
      preview = await new Promise<Blob | null>((resolve) =>
        canvas.toBlob(resolve, 'image/webp', quality),
      );
      if (preview && preview.size <= MAX_THUMBNAIL_BYTES) break;
      preview = null;
    }
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return preview ? { ...size, preview } : undefined;
  } catch {
    return undefined; // not decodable here: sent as a plain file
  }
}

/** Object URLs of files shown in the chat, by file id: each fetched once, the oldest let go. */
const shown = new Map<string, Promise<string>>();
const SHOWN_MAX = 200;

/** An object URL of the file; `maxBytes` bounds what is fetched (thumbnails: F10). */
export function fileUrl(store: AccountInvoker, fileId: string, maxBytes?: number): Promise<string> {
  let url = shown.get(fileId);
  if (!url) {
    url = downloadFile(store, fileId, () => undefined, undefined, maxBytes).then((b) =>
      URL.createObjectURL(b),
    );
    url.catch(() => shown.delete(fileId));
    shown.set(fileId, url);
    if (shown.size > SHOWN_MAX) {
      const [oldest] = shown;
      shown.delete(oldest![0]);
      void oldest![1].then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
    }
  }
  return url;
}

/** Saves a Blob as a download with its name (the browser's or Electron's save flow). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The chat store's uploader: chunked uploads through the core, with previews of images. */
export function pageUploader(store: AccountInvoker): Uploader {
  return {
    preview: makePreview,
    upload: (conversation, file, name, onProgress, signal) =>
      uploadFile(store, conversation, file, name, onProgress, signal),
    cancelled: (err) => err instanceof TransferCancelled,
  };
}
