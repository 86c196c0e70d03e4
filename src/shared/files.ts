// Attachments between page and desktop core. A module of its own so the page can import it
// without the IPC schemas (zod) coming along.

/**
 * Attachments cross between page and core in chunks of this many bytes at most: their base64
 * fits the web host's IPC frame (256 KiB) with room to spare.
 */
export const FILE_CHUNK_BYTES = 160 * 1024;

/** The largest attachment a server takes unless configured otherwise (`limits.maxFileBytes`). */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

/** A thumbnail is a picture of at most this many bytes (the page fetches it unasked: F10). */
export const MAX_THUMBNAIL_BYTES = 64 * 1024;
/** ... and at most this many pixels a side. */
export const MAX_THUMBNAIL_SIDE = 4096;
/** A user's picture is at most this many pixels a side. */
export const MAX_AVATAR_SIDE = 1024;

/** "2.4 MB", "980 KB", "12 bytes". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} KB`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)} MB`;
  return `${(n / 1_000_000_000).toFixed(1)} GB`;
}
