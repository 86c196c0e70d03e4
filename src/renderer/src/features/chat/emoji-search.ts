// Emoji by name: GitHub's gemoji list (1,870 emoji with their `:shortcode:` names, tags and
// descriptions), loaded on first use as a chunk of its own so that the first paint does not
// carry it. Pure search, tested without a browser.
import type { Gemoji } from 'gemoji';

export interface EmojiMatch {
  emoji: string;
  /** Its first shortcode name, e.g. `thumbsup`. */
  name: string;
  description: string;
}

let loading: Promise<readonly Gemoji[]> | undefined;

/** The list, loaded once. */
export function loadEmoji(): Promise<readonly Gemoji[]> {
  loading ??= import('gemoji').then((m) => m.gemoji);
  return loading;
}

/**
 * Emoji for a query: names starting with it first (in the list's order, which puts the common
 * ones early), then names, tags or descriptions containing it.
 */
export function searchEmoji(list: readonly Gemoji[], query: string, max = 8): EmojiMatch[] {
  const q = query.toLowerCase().replace(/^:+|:+$/g, '');
  if (!q) return [];
  const starts: EmojiMatch[] = [];
  const contains: EmojiMatch[] = [];
  for (const g of list) {
    const match = { emoji: g.emoji, name: g.names[0]!, description: g.description };
    if (g.names.some((n) => n.startsWith(q))) starts.push(match);
    else if (
      g.names.some((n) => n.includes(q)) ||
      g.tags.some((t) => t.startsWith(q)) ||
      g.description.includes(q)
    ) {
      contains.push(match);
    }
    if (starts.length >= max) break;
  }
  return [...starts, ...contains].slice(0, max);
}

/** The `:partial` being typed before the caret (two characters at least), if any. */
export function shortcodeAt(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|[\s(]):([a-z0-9_+-]{2,30})$/i.exec(text.slice(0, caret));
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}

const byName = new WeakMap<readonly Gemoji[], Map<string, string>>();
function emojiNamed(list: readonly Gemoji[]): Map<string, string> {
  let names = byName.get(list);
  if (!names) {
    names = new Map(list.flatMap((g) => g.names.map((n) => [n, g.emoji] as const)));
    byName.set(list, names);
  }
  return names;
}

// Not right after a letter or digit, so times (10:100:20) and words stay as written.
const SHORTCODE = /(?<![a-z0-9]):([a-z0-9_+-]{1,40}):/gi;
// Code is left as written: fenced blocks and `spans`.
const CODE = /```[\s\S]*?```|`[^`\n]+`/g;

/** Whether a text may hold a whole `:shortcode:` (cheap, before the list is loaded). */
export function mayHoldShortcode(text: string): boolean {
  return /:[a-z0-9_+-]{1,40}:/i.test(text);
}

/**
 * Every whole `:name:` the list knows, as its emoji (`:tada:` → 🎉), outside code. Unknown names
 * (`:not-an-emoji:`, times like 10:30:45) stay as written.
 */
export function replaceShortcodes(list: readonly Gemoji[], text: string): string {
  const names = emojiNamed(list);
  const swap = (part: string) =>
    part.replace(SHORTCODE, (whole, name: string) => names.get(name.toLowerCase()) ?? whole);
  let out = '';
  let at = 0;
  for (const code of text.matchAll(CODE)) {
    out += swap(text.slice(at, code.index)) + code[0];
    at = code.index + code[0].length;
  }
  return out + swap(text.slice(at));
}

/** The `:name:` just closed before the caret, if the list knows it: what to replace, and with. */
export function shortcodeClosedAt(
  list: readonly Gemoji[],
  text: string,
  caret: number,
): { start: number; emoji: string } | null {
  const m = /(^|[\s(]):([a-z0-9_+-]{1,40}):$/i.exec(text.slice(0, caret));
  const emoji = m && emojiNamed(list).get(m[2]!.toLowerCase());
  return emoji ? { start: caret - m[2]!.length - 2, emoji } : null;
}
