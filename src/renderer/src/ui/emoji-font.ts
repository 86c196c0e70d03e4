// Colour emoji the same on every system: Twemoji as a COLR font (twemoji-colr-font, 470 KB),
// used for emoji code points only (unicode-range), so text keeps the system's face and the font
// is fetched the first time an emoji is drawn. Without it, a Linux without a colour emoji font
// drew boxes (Debian's Chromium here did).
import twemoji from 'twemoji-colr-font/twemoji.woff2?url';

/** Emoji and their joiners and selectors; not ASCII, so digits and # stay the text's own. */
const EMOJI_RANGES = [
  'U+A9',
  'U+AE',
  'U+200D',
  'U+203C',
  'U+2049',
  'U+20E3',
  'U+2122',
  'U+2139',
  'U+2194-21AA',
  'U+231A-23FF',
  'U+24C2',
  'U+25AA-27BF',
  'U+2934-2935',
  'U+2B05-2B55',
  'U+3030',
  'U+303D',
  'U+3297',
  'U+3299',
  'U+FE0F',
  'U+1F000-1FAFF',
  'U+E0020-E007F',
].join(', ');

export const EMOJI_FONT = 'Parley Emoji';

/** Registers the face; the CSS names it first in every font stack. */
export function loadEmojiFont(): void {
  if (typeof FontFace === 'undefined') return;
  const face = new FontFace(EMOJI_FONT, `url(${twemoji}) format('woff2')`, {
    unicodeRange: EMOJI_RANGES,
    display: 'swap',
  });
  document.fonts.add(face);
}
