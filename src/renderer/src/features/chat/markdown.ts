// The markdown subset messages may use, parsed to a tree that React renders as elements: there is
// no path from a message to raw HTML. `code`, ```blocks```, **bold**, *italic* or _italic_,
// ~~strike~~, [text](url) and bare http(s) links. Anything else stays text.
// Hand-written because the markdown libraries either emit HTML strings (which would need
// dangerouslySetInnerHTML) or weigh more than the whole chat view.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'bold' | 'italic' | 'strike'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] };

export type Block = { type: 'paragraph'; children: Inline[] } | { type: 'codeblock'; text: string };

const FENCE = /```(?:[a-zA-Z0-9_+-]*\n)?([\s\S]*?)```/g;
// Tried in this order at each position; the first that matches wins.
const INLINE: { re: RegExp; make: (m: RegExpExecArray) => Inline }[] = [
  { re: /`([^`\n]+)`/y, make: (m) => ({ type: 'code', text: m[1]! }) },
  {
    re: /\[([^\]\n]{1,300})\]\((https?:\/\/[^\s)]{1,2000}|mailto:[^\s)]{1,300})\)/y,
    make: (m) => ({ type: 'link', href: m[2]!, children: parseInline(m[1]!) }),
  },
  {
    re: /\*\*(?=\S)([\s\S]*?\S)\*\*/y,
    make: (m) => ({ type: 'bold', children: parseInline(m[1]!) }),
  },
  {
    re: /~~(?=\S)([\s\S]*?\S)~~/y,
    make: (m) => ({ type: 'strike', children: parseInline(m[1]!) }),
  },
  {
    re: /\*(?=[^\s*])([^*\n]*?[^\s*])\*/y,
    make: (m) => ({ type: 'italic', children: parseInline(m[1]!) }),
  },
  {
    re: /\b_(?=[^\s_])([^_\n]*?[^\s_])_\b/y,
    make: (m) => ({ type: 'italic', children: parseInline(m[1]!) }),
  },
  {
    re: /https?:\/\/[^\s<>"']{1,2000}[^\s<>"'.,;:!?)\]]/y,
    make: (m) => ({ type: 'link', href: m[0], children: [{ type: 'text', text: m[0] }] }),
  },
];
const SPECIAL = /[`[*~_h]/g;

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

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  let i = 0;
  // Only positions holding a character some rule starts with are tried: linear in practice.
  while (i < text.length) {
    SPECIAL.lastIndex = i;
    const next = SPECIAL.exec(text);
    if (!next) break;
    plain += text.slice(i, next.index);
    i = next.index;
    let matched = false;
    for (const rule of INLINE) {
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
