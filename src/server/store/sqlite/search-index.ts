// The SQLite full-text index, keyed by conversation (security review 3, F5/F6).
//
// Every indexed word carries its conversation's key: "hello" in group:team is stored as the
// token k<16 hex digits of sha256("group:team")>hello. A search asks, for each conversation the
// user may read, for its key followed by each word as a prefix. FTS5 finds a prefix by walking
// the sorted terms that start with it, so the walk never leaves the user's own conversations:
// the cost of a search (and so its timing) depends only on what the user may read, not on how
// often a word occurs in anyone else's conversations. The conv_id filter after the walk stays,
// for the one-in-2^64 chance of two conversations sharing a key.
//
// Words are split here, in JavaScript, for both the stored text and the query, so the two always
// agree; SQLite's unicode61 tokenizer then folds case and diacritics of each token ("café" is
// found by "cafe").
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { mentions, USERNAME_CHARS } from '../../../shared/mentions.js';

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
/** Longest stored word: a longer run of letters is an unusual token, not a word to look for. */
const MAX_WORD = 64;

/** The token prefix of one conversation: 'k' and 16 hex digits. */
export function conversationSearchKey(convId: string): string {
  return `k${createHash('sha256').update(convId).digest('hex').slice(0, 16)}`;
}

/** What the index stores for a message: each word of its text behind the conversation's key. */
export function searchDocument(convId: string, text: string): string {
  const key = conversationSearchKey(convId);
  return (text.match(WORD) ?? []).map((w) => key + w.slice(0, MAX_WORD)).join(' ');
}

/**
 * The FTS5 query for `words` (from searchWords) in any of `convIds`: each conversation's key
 * before each word, as a prefix, every word required. Words are letters, digits and marks only
 * (searchWords), so they need no quoting beyond the double quotes.
 */
export function searchMatch(convIds: readonly string[], words: readonly string[]): string {
  return convIds
    .map((convId) => {
      const key = conversationSearchKey(convId);
      return `(${words.map((w) => `"${key}${w.slice(0, MAX_WORD)}"*`).join(' AND ')})`;
    })
    .join(' OR ');
}

/** The usernames `text` mentions, by the desktop's rule (shared/mentions.ts), lower case. */
export function mentionedUsernames(text: string): string[] {
  const found = new Set<string>();
  const at = new RegExp(`@([${USERNAME_CHARS}]{1,64})`, 'g');
  for (const m of text.matchAll(at)) {
    // "@bob.smith." may mention bob, bob.smith or bob.smith.: try each end the rule allows.
    const run = m[1]!;
    for (let end = 1; end <= run.length; end++) {
      const candidate = run.slice(0, end).toLowerCase();
      if (!found.has(candidate) && mentions(text, candidate)) found.add(candidate);
    }
  }
  return [...found];
}

/** The functions the index's triggers call: registered on every connection that writes. */
export function registerSearchFunctions(db: Database.Database): void {
  db.function('parley_search_doc', { deterministic: true }, (convId: unknown, text: unknown) =>
    typeof convId === 'string' && typeof text === 'string' ? searchDocument(convId, text) : '',
  );
  db.function('parley_mentioned', { deterministic: true }, (text: unknown) =>
    JSON.stringify(typeof text === 'string' && text.includes('@') ? mentionedUsernames(text) : []),
  );
}

/**
 * Schema 5: the index keyed by conversation, and message_mentions, who each message mentions
 * (F13: the sidebar's mention counts are an index lookup, not a regular expression run over every
 * unread message). Both are kept by triggers, so every write path (append, edit, removal) keeps
 * them right. Thread replies do not count as mentions in the sidebar, as before.
 */
export const V5_SEARCH = `
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE message_mentions (
  user_id TEXT NOT NULL,
  conv_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, conv_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN
  INSERT INTO messages_fts(rowid, text)
    VALUES (new.rowid, parley_search_doc(new.conv_id, json_extract(new.body, '$.text')));
  INSERT OR IGNORE INTO message_mentions (user_id, conv_id, seq)
    SELECT u.user_id, new.conv_id, new.seq
      FROM json_each(parley_mentioned(json_extract(new.body, '$.text'))) j
      JOIN users u ON u.username = j.value
     WHERE u.user_id <> new.sender_id AND json_extract(new.body, '$.thread') IS NULL;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
  INSERT INTO messages_fts(rowid, text)
    SELECT new.rowid, parley_search_doc(new.conv_id, json_extract(new.body, '$.text'))
     WHERE new.body IS NOT NULL;
  DELETE FROM message_mentions WHERE conv_id = old.conv_id AND seq = old.seq;
  INSERT OR IGNORE INTO message_mentions (user_id, conv_id, seq)
    SELECT u.user_id, new.conv_id, new.seq
      FROM json_each(parley_mentioned(json_extract(new.body, '$.text'))) j
      JOIN users u ON u.username = j.value
     WHERE new.body IS NOT NULL AND u.user_id <> new.sender_id
       AND json_extract(new.body, '$.thread') IS NULL;
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
  DELETE FROM message_mentions WHERE conv_id = old.conv_id AND seq = old.seq;
END;
`;

/** Fills the schema-5 index and mentions from the messages already kept (a migration). */
export const INDEX_STORED_MESSAGES = `
INSERT INTO messages_fts(rowid, text)
  SELECT rowid, parley_search_doc(conv_id, json_extract(body, '$.text'))
    FROM messages WHERE body IS NOT NULL;
INSERT OR IGNORE INTO message_mentions (user_id, conv_id, seq)
  SELECT u.user_id, m.conv_id, m.seq
    FROM messages m, json_each(parley_mentioned(json_extract(m.body, '$.text'))) j
    JOIN users u ON u.username = j.value
   WHERE m.body IS NOT NULL AND u.user_id <> m.sender_id
     AND json_extract(m.body, '$.thread') IS NULL;
`;

/** Schema 4's index (the words of every conversation together) and its triggers. */
export const DROP_V4_SEARCH = `
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TABLE messages_fts;
`;
