// What a picture's first bytes say: its format (by magic bytes, never the client's word) and its
// size in pixels, read from the header without decoding (security review 3, F10: a 459 KiB PNG
// of 11,000 × 11,000 pixels took every viewer 4.4 s to decode).
export type ImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
}

/** The format and pixel size of a PNG, JPEG, GIF or WebP from its first bytes; else undefined. */
export function readImageHeader(b: Buffer): ImageHeader | undefined {
  if (
    b.length >= 24 &&
    b.subarray(0, 8).equals(PNG_MAGIC) &&
    b.toString('latin1', 12, 16) === 'IHDR'
  ) {
    return sized('image/png', b.readUInt32BE(16), b.readUInt32BE(20));
  }
  if (b.length >= 10 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) {
    return sized('image/gif', b.readUInt16LE(6), b.readUInt16LE(8));
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  if (
    b.length >= 30 &&
    b.toString('latin1', 0, 4) === 'RIFF' &&
    b.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return webp(b);
  }
  return undefined;
}

const PNG_MAGIC = Buffer.from('89504e470d0a1a0a', 'hex');

function sized(type: ImageType, width: number, height: number): ImageHeader | undefined {
  return width > 0 && height > 0 ? { type, width, height } : undefined;
}

/** The first start-of-frame marker's size; markers are walked by their lengths. */
function jpeg(b: Buffer): ImageHeader | undefined {
  let at = 2;
  while (at + 9 <= b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = b.readUInt16BE(at + 2);
    const startOfFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (startOfFrame) return sized('image/jpeg', b.readUInt16BE(at + 7), b.readUInt16BE(at + 5));
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}

function webp(b: Buffer): ImageHeader | undefined {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    return sized('image/webp', b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return sized('image/webp', (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') {
    return sized('image/webp', b.readUIntLE(24, 3) + 1, b.readUIntLE(27, 3) + 1);
  }
  return undefined;
}
