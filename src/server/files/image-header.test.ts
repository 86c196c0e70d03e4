// Picture headers: sizes come from the header, formats from magic bytes. The headers below are
// laid out by each format's specification (PNG IHDR, GIF logical screen, JPEG SOF0, WebP VP8L).
import { describe, expect, it } from 'vitest';
import { readImageHeader } from './image-header.js';

/** First bytes (hex) of pictures of the size named. */
const PNG_11000 = '89504e470d0a1a0a0000000d4948445200002af800002af80806000000';
const GIF_3x2 = '474946383961030002008000';
// JPEG: SOI, an APP0 segment, then SOF0 of 640 × 480.
const JPEG_640x480 =
  'ffd8ffe000104a46494600010100000100010000ffc000110801e0028003012200021101031101';
// WebP VP8L 300 × 200: width-1 and height-1 packed in 14 bits each.
const WEBP_L = (() => {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.write('WEBPVP8L', 8, 'latin1');
  b[20] = 0x2f;
  b.writeUInt32LE((300 - 1) | ((200 - 1) << 14), 21);
  return b;
})();

describe('readImageHeader', () => {
  it('reads sizes from PNG, GIF, JPEG and WebP headers', () => {
    expect(readImageHeader(Buffer.from(PNG_11000, 'hex'))).toEqual({
      type: 'image/png',
      width: 11000,
      height: 11000,
    });
    expect(readImageHeader(Buffer.from(GIF_3x2, 'hex'))).toEqual({
      type: 'image/gif',
      width: 3,
      height: 2,
    });
    expect(readImageHeader(Buffer.from(JPEG_640x480, 'hex'))).toEqual({
      type: 'image/jpeg',
      width: 640,
      height: 480,
    });
    expect(readImageHeader(WEBP_L)).toEqual({ type: 'image/webp', width: 300, height: 200 });
  });

  it('answers nothing for what is not a picture, or a header cut short', () => {
    expect(readImageHeader(Buffer.from('hello, not a picture'))).toBeUndefined();
    expect(readImageHeader(Buffer.from(PNG_11000, 'hex').subarray(0, 20))).toBeUndefined();
    expect(readImageHeader(Buffer.from('ffd8ff', 'hex'))).toBeUndefined();
  });
});
