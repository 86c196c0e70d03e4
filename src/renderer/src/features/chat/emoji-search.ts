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
