// Which parts of a message a search matched, for <mark>: the server finds every word of the query
// as a word or the start of one, ignoring case (and accents on SQLite); the same rule here picks
// the words to mark. Pure functions: tested without a browser.

export interface Part {
  text: string;
  hit: boolean;
}

/** Lower case without accents: "Crème" → "creme". */
function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The query's words as the server takes them (letters, digits and marks), folded. */
export function queryWords(query: string): string[] {
  return (query.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []).map(fold).filter(Boolean).slice(0, 8);
}

/**
 * The text cut around its first hit (at most `max` characters, "…" where cut) and split into
 * hits and the rest. A word of the text is a hit when it starts with one of the query's words.
 */
export function highlight(text: string, query: string, max = 240): Part[] {
  const words = queryWords(query);
  const tokens = [...text.matchAll(/[\p{L}\p{N}\p{M}]+/gu)];
  const hits = tokens.filter((t) => words.some((w) => fold(t[0]).startsWith(w)));
  let start = 0;
  let end = text.length;
  if (text.length > max) {
    const first = hits[0]?.index ?? 0;
    start = Math.max(0, first - Math.floor(max / 4));
    end = Math.min(text.length, start + max);
  }
  const parts: Part[] = [];
  if (start > 0) parts.push({ text: '…', hit: false });
  let at = start;
  for (const h of hits) {
    const from = h.index;
    const to = from + h[0].length;
    if (to <= start || from >= end) continue;
    if (from > at) parts.push({ text: text.slice(at, from), hit: false });
    parts.push({ text: text.slice(Math.max(from, at), Math.min(to, end)), hit: true });
    at = Math.min(to, end);
  }
  if (at < end) parts.push({ text: text.slice(at, end), hit: false });
  if (end < text.length) parts.push({ text: '…', hit: false });
  return parts;
}
