// A picture for a profile: the middle square of any image the browser can decode, 256 px a side,
// as WebP (JPEG where WebP cannot be written), small enough for one IPC message.
const SIDE = 256;
const MAX_BASE64 = 240 * 1024;

export class PictureError extends Error {
  readonly code = 'BAD_PICTURE';
}

export async function squarePicture(
  file: Blob,
): Promise<{ data: string; type: 'image/webp' | 'image/jpeg' }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new PictureError('That file is not a picture Parley can read (PNG, JPEG, GIF, WebP).');
  }
  const side = Math.min(bitmap.width, bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = SIDE;
  canvas.height = SIDE;
  canvas
    .getContext('2d')!
    .drawImage(
      bitmap,
      (bitmap.width - side) / 2,
      (bitmap.height - side) / 2,
      side,
      side,
      0,
      0,
      SIDE,
      SIDE,
    );
  bitmap.close();
  for (const [type, quality] of [
    ['image/webp', 0.85],
    ['image/webp', 0.6],
    ['image/jpeg', 0.7],
  ] as const) {
    const url = canvas.toDataURL(type, quality);
    // A browser that cannot write the type gives PNG instead: try the next.
    if (!url.startsWith(`data:${type}`)) continue;
    const data = url.slice(url.indexOf(',') + 1);
    if (data.length <= MAX_BASE64) return { data, type };
  }
  throw new PictureError('That picture could not be made small enough; try another.');
}
