// The markdown subset messages may use, parsed to a tree that React renders as elements: there is
// no path from a message to raw HTML. `code`, ```blocks```, **bold**, *italic* or _italic_,
// ~~strike~~, [text](url), bare http(s) links and @mentions. Anything else stays text.
// Hand-written because the markdown libraries either emit HTML strings (which would need
// dangerouslySetInnerHTML) or weigh more than the whole chat view.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'bold' | 'italic' | 'strike'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'mention'; username: string };

export type Block = { type: 'paragraph'; children: Inline[] } | { type: 'codeblock'; text: string };

const FENCE = /```(?:[a-zA-Z0-9_+-]*\n)?([\s\S]*?)```/g;
// Emphasis spans are at most SPAN characters: an unclosed marker then costs a bounded look ahead,
// not a scan to the end of the text from every marker (16 KiB of `**a ` once took 80 ms to parse,
// security review L5).
const SPAN = 1000;

/** The host a piece of link text names, if it looks like an address. */
function hostNamed(text: string): string | undefined {
  const m = /^\s*(?:https?:\/\/)?((?:[\w-]+\.)+[a-z]{2,})(?:[:/?#]|\s*$)/i.exec(text);
  return m?.[1]?.toLowerCase();
}

/**
 * A link. When its text looks like an address on another host than the one it opens, the real
 * host is shown beside it: `[https://bank.example](https://evil.example)` (review L4).
 */
function link(text: string, href: string): Inline {
  // A bare address inside link text stays text: no link inside a link.
  const children = parseInline(text).flatMap((c) => (c.type === 'link' ? c.children : [c]));
  const named = hostNamed(text);
  let real: string | undefined;
  try {
    real = new URL(href).hostname.toLowerCase();
  } catch {
    real = undefined;
  }
  if (named && real && named !== real) children.push({ type: 'text', text: ` (${real})` });
  return { type: 'link', href, children };
}
// Tried in this order at each position; the first that matches wins.
const INLINE: {
  re: RegExp;
  make: (m: RegExpExecArray) => Inline;
  /** A span rule's closing marker: tried only when one closes within SPAN (see closers). */
  closes?: '**' | '~~';
}[] = [
  { re: /`([^`\n]+)`/y, make: (m) => ({ type: 'code', text: m[1]! }) },
  {
    re: /\[([^\]\n]{1,300})\]\((https?:\/\/[^\s)]{1,2000}|mailto:[^\s)]{1,300})\)/y,
    make: (m) => link(m[1]!, m[2]!),
  },
  {
    re: new RegExp(`\\*\\*(?=\\S)([\\s\\S]{0,${SPAN}}?\\S)\\*\\*`, 'y'),
    closes: '**',
    make: (m) => ({ type: 'bold', children: parseInline(m[1]!) }),
  },
  {
    re: new RegExp(`~~(?=\\S)([\\s\\S]{0,${SPAN}}?\\S)~~`, 'y'),
    closes: '~~',
    make: (m) => ({ type: 'strike', children: parseInline(m[1]!) }),
  },
  {
    re: new RegExp(`\\*(?=[^\\s*])([^*\\n]{0,${SPAN}}?[^\\s*])\\*`, 'y'),
    make: (m) => ({ type: 'italic', children: parseInline(m[1]!) }),
  },
  {
    re: new RegExp(`\\b_(?=[^\\s_])([^_\\n]{0,${SPAN}}?[^\\s_])_\\b`, 'y'),
    make: (m) => ({ type: 'italic', children: parseInline(m[1]!) }),
  },
  {
    // @username (shared/mentions.ts): not inside a word or an address; a final dot is punctuation.
    re: /(?<![\w@.])@([A-Za-z0-9_.-]{0,31}[A-Za-z0-9_-])(?![\w-])/y,
    make: (m) => ({ type: 'mention', username: m[1]! }),
  },
  {
    re: /https?:\/\/[^\s<>"']{1,2000}[^\s<>"'.,;:!?)\]]/y,
    make: (m) => ({ type: 'link', href: m[0], children: [{ type: 'text', text: m[0] }] }),
  },
];
const SPECIAL = /[`[*~_h@]/g;

export function parseMessage(text: string): Block[] {
  const blocks: Block[] = [];
  let at = 0;
  for (const m of text.matchAll(FENCE)) {
    const before = text.slice(at, m.index).replace(/^\n+|\n+$/g, '');
    if (before) blocks.push({ type: 'paragraph', children: parseInline(before) });
    blocks.push({ type: 'codeblock', text: m[1]!.replace(/\n$/, '') });
    at = m.index + m[0].length;
  }
  const rest = text.slice(at).replace(/^\n+/, '');
  if (rest || blocks.length === 0) blocks.push({ type: 'paragraph', children: parseInline(rest) });
  return blocks;
}

/** Where `marker` could close a span: after a non-space character. Ascending. */
function closers(text: string, marker: string): number[] {
  const out: number[] = [];
  for (let j = text.indexOf(marker, 1); j !== -1; j = text.indexOf(marker, j + 1)) {
    if (/\S/.test(text[j - 1]!)) out.push(j);
  }
  return out;
}

/** Whether a sorted list holds a value in [from, to]. */
function anyBetween(list: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length && list[lo]! <= to;
}

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  let i = 0;
  const ends = { '**': closers(text, '**'), '~~': closers(text, '~~') };
  // Only positions holding a character some rule starts with are tried: linear in practice.
  while (i < text.length) {
    SPECIAL.lastIndex = i;
    const next = SPECIAL.exec(text);
    if (!next) break;
    plain += text.slice(i, next.index);
    i = next.index;
    let matched = false;
    for (const rule of INLINE) {
      // No closer within reach: the span rule cannot match here, so its look ahead is skipped.
      if (rule.closes && !anyBetween(ends[rule.closes], i + 3, i + SPAN + 3)) continue;
      rule.re.lastIndex = i;
      const m = rule.re.exec(text);
      if (!m) continue;
      if (plain) out.push({ type: 'text', text: plain });
      plain = '';
      out.push(rule.make(m));
      i += m[0].length;
      matched = true;
      break;
    }
    if (!matched) {
      plain += text[i];
      i += 1;
    }
  }
  plain += text.slice(i);
  if (plain) out.push({ type: 'text', text: plain });
  return out;
}
