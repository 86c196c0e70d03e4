// "@username" mentions: one rule for the desktop's notifications, the chat's highlighting, the
// composer's autocomplete and the server's mention counts. Runs anywhere: no node, DOM or electron.
import type { GroupUser } from './protocol.js';

/** The characters of a username (docs/protocol.md: 3 to 32 of these). */
export const USERNAME_CHARS = 'A-Za-z0-9_.-';

function escape(username: string): string {
  return username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `text` mentions `username` as @username (not inside a longer word or an e-mail address). */
export function mentions(text: string, username: string): boolean {
  return new RegExp(`(^|[^\\w@.])@${escape(username)}(?![\\w-])`, 'i').test(text);
}

/** The same rule as a PostgreSQL regular expression (`~*`), which has no look-ahead. */
export function mentionPatternPostgres(username: string): string {
  return `(^|[^\\w@.])@${escape(username)}($|[^\\w-])`;
}

/**
 * The "@partial" being typed just before the caret, if any: what the composer completes. The @
 * must start the text or follow a space or an opening bracket.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const m = new RegExp(`(^|[\\s(])@([${USERNAME_CHARS}]{0,32})$`).exec(text.slice(0, caret));
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}

/** Members whose username or display name starts with `query`, once each, the user left out. */
export function mentionCandidates(
  members: readonly Pick<GroupUser, 'user_id' | 'username' | 'displayName'>[],
  query: string,
  me: string | undefined,
  max = 8,
): { username: string; displayName: string }[] {
  const q = query.toLowerCase();
  const seen = new Set<string>();
  const out: { username: string; displayName: string }[] = [];
  for (const m of members) {
    if (!m.username || m.user_id === me || seen.has(m.user_id)) continue;
    const name = m.displayName.toLowerCase();
    if (m.username.toLowerCase().startsWith(q) || name.startsWith(q) || name.includes(` ${q}`)) {
      seen.add(m.user_id);
      out.push({ username: m.username, displayName: m.displayName });
    }
  }
  return out.sort((a, b) => a.username.localeCompare(b.username)).slice(0, max);
}
