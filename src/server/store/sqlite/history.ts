// History: pages of a conversation or a thread, reply counts, full-text search and the stored
// event log replayed on resume.
import type Database from 'better-sqlite3';
import type { ThreadSummary } from '../../../shared/protocol.js';
import { toHistory, type MessageRow } from '../rows.js';
import type { MessageSearch, SearchRow, StoredEvent } from '../records.js';
import type { HistoryRepo, Sync } from '../store.js';
import { searchMatch } from './search-index.js';

/**
 * Newest first, by rowid (the order messages were stored): FTS5 walks its index in rowid order,
 * so the first page stops early instead of ranking every hit. The MATCH names only the user's
 * conversations (search-index.ts); the conv_id filter is a second guard.
 */
export const SEARCH_SQL = `SELECT m.rowid, m.* FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
  WHERE messages_fts MATCH ? AND f.rowid < ? AND m.conv_id IN (SELECT value FROM json_each(?))
  ORDER BY f.rowid DESC LIMIT ?`;

export type SearchDbRow = MessageRow & { rowid: number };

/** The parameters of SEARCH_SQL for one search. */
export function searchParams(s: MessageSearch): [string, number, string, number] {
  const before = s.before !== undefined ? Number(s.before) : Number.MAX_SAFE_INTEGER;
  return [
    searchMatch(s.convIds, s.words),
    Number.isSafeInteger(before) ? before : 0,
    JSON.stringify(s.convIds),
    s.limit,
  ];
}

export const toSearchRow = (r: SearchDbRow): SearchRow => ({
  ...toHistory(r),
  convId: r.conv_id,
  cursor: String(r.rowid),
});

export function sqliteHistory(db: Database.Database): Sync<HistoryRepo> {
  const q = {
    historyBefore: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE conv_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ),
    historyAfter: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE conv_id = ? AND last_seq > ? ORDER BY last_seq ASC LIMIT ?',
    ),
    threadBefore: db.prepare<[string, string, number, number], MessageRow>(
      `SELECT * FROM messages WHERE conv_id = ? AND json_extract(body, '$.thread') = ?
         AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    threadAfter: db.prepare<[string, string, number, number], MessageRow>(
      `SELECT * FROM messages WHERE conv_id = ? AND json_extract(body, '$.thread') = ?
         AND seq > ? ORDER BY seq ASC LIMIT ?`,
    ),
    threadSummaries: db.prepare<
      [string, string],
      { root: string; n: number; last_seq: number; last_ts: number }
    >(
      `SELECT json_extract(body, '$.thread') AS root, count(*) AS n, max(seq) AS last_seq,
              max(ts) AS last_ts
         FROM messages
        WHERE conv_id = ? AND json_extract(body, '$.thread') IN (SELECT value FROM json_each(?))
        GROUP BY root`,
    ),
    search: db.prepare<[string, number, string, number], SearchDbRow>(SEARCH_SQL),
    eventsAfter: db.prepare<[string, number, number], { seq: number; event: string; data: string }>(
      'SELECT seq, event, data FROM events WHERE conv_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
  };
  return {
    history(convId, page) {
      if (page.thread !== undefined) {
        if (page.after !== undefined) {
          return q.threadAfter.all(convId, page.thread, page.after, page.limit).map(toHistory);
        }
        const before = page.before ?? Number.MAX_SAFE_INTEGER;
        return q.threadBefore.all(convId, page.thread, before, page.limit).map(toHistory).reverse();
      }
      if (page.after !== undefined) {
        return q.historyAfter.all(convId, page.after, page.limit).map(toHistory);
      }
      const before = page.before ?? Number.MAX_SAFE_INTEGER;
      return q.historyBefore.all(convId, before, page.limit).map(toHistory).reverse();
    },
    threadSummaries(convId, rootIds) {
      const out = new Map<string, ThreadSummary>();
      if (rootIds.length === 0) return out;
      for (const r of q.threadSummaries.all(convId, JSON.stringify(rootIds))) {
        out.set(r.root, { count: r.n, lastSeq: r.last_seq, lastTs: r.last_ts });
      }
      return out;
    },
    searchMessages(s): SearchRow[] {
      if (s.words.length === 0 || s.convIds.length === 0) return [];
      return q.search.all(...searchParams(s)).map(toSearchRow);
    },
    eventsAfter: (convId, seq, limit): StoredEvent[] =>
      q.eventsAfter.all(convId, seq, limit).map((r) => ({
        seq: r.seq,
        event: r.event as StoredEvent['event'],
        data: JSON.parse(r.data) as Record<string, unknown>,
      })),
  };
}
