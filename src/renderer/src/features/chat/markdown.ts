// The markdown subset messages may use, parsed to a tree that React renders as elements: there is
// no path from a message to raw HTML. `code`, ```blocks```, > quotes, - bulleted and 1. numbered
// lists (nested one level), **bold**, *italic* or _italic_, ~~strike~~, [text](url), bare http(s)
// links and @mentions. Anything else stays text.
// Hand-written because the markdown libraries either emit HTML strings (which would need
// dangerouslySetInnerHTML) or weigh more than the whole chat view.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'bold' | 'italic' | 'strike'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'mention'; username: string };

export interface ListItem {
  children: Inline[];
  /** Items indented under this one (one level deep: deeper indents stay at that level). */
  sublist?: List;
}
export interface List {
  type: 'list';
  ordered: boolean;
  /** The first item's number, for a numbered list. */
  start: number;
  items: ListItem[];
}
export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'codeblock'; text: string }
  | { type: 'quote'; children: Inline[] }
  | List;

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
    blocks.push(...parseLines(text.slice(at, m.index)));
    blocks.push({ type: 'codeblock', text: m[1]!.replace(/\n$/, '') });
    at = m.index + m[0].length;
  }
  blocks.push(...parseLines(text.slice(at)));
  if (blocks.length === 0) blocks.push({ type: 'paragraph', children: [] });
  return blocks;
}

const QUOTE_LINE = /^ {0,3}> ?(.*)$/;
// `- a`, `* a`, `+ a`, `• a`, `1. a`, `1) a`; the marker must be followed by a space, so
// `*italic*` and `-5 °C` stay text.
const ITEM_LINE = /^( *)(?:([-*+•])|(\d{1,9})[.)]) +(\S.*)$/;

interface ItemLine {
  indent: number;
  ordered: boolean;
  number: number;
  text: string;
}

function itemLine(line: string): ItemLine | undefined {
  const m = ITEM_LINE.exec(line);
  if (!m) return undefined;
  return { indent: m[1]!.length, ordered: !m[2], number: Number(m[3] ?? 1), text: m[4]! };
}

function newList(item: ItemLine): List {
  return { type: 'list', ordered: item.ordered, start: item.number, items: [] };
}

/** Text outside code fences, line by line: quotes and lists, the rest paragraphs. Linear. */
function parseLines(chunk: string): Block[] {
  const lines = chunk.replace(/^\n+|\n+$/g, '').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let quote: string[] = [];
  let list: List | undefined;
  const flush = (): void => {
    const text = paragraph.join('\n').replace(/^\n+|\n+$/g, '');
    if (text) blocks.push({ type: 'paragraph', children: parseInline(text) });
    if (quote.length) blocks.push({ type: 'quote', children: parseInline(quote.join('\n')) });
    if (list) blocks.push(list);
    paragraph = [];
    quote = [];
    list = undefined;
  };
  for (const line of lines) {
    const quoted = QUOTE_LINE.exec(line);
    if (quoted) {
      if (!quote.length) flush();
      quote.push(quoted[1]!);
      continue;
    }
    const item = itemLine(line);
    if (item) {
      const parent = item.indent >= 2 ? list?.items.at(-1) : undefined;
      // A top-level item of the other kind (a number after bullets) starts a new list.
      if (!list || (!parent && list.ordered !== item.ordered)) flush();
      list ??= newList(item);
      if (parent) {
        parent.sublist ??= newList(item);
        parent.sublist.items.push({ children: parseInline(item.text) });
      } else {
        list.items.push({ children: parseInline(item.text) });
      }
      continue;
    }
    // A blank line between items keeps the list going; text after it ends the list.
    if (list && !line.trim()) continue;
    if (quote.length || list) flush();
    paragraph.push(line);
  }
  flush();
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
