// History: pages of a conversation or a thread, reply counts, full-text search and the stored event log replayed on resume.
import type { ThreadSummary } from '../../../shared/protocol.js';
import type { SearchRow, StoredEvent } from '../records.js';
import { toHistory, type MessageRow } from '../rows.js';
import type { HistoryRepo } from '../store.js';
import type { PgQuery } from './query.js';

export function postgresHistory({ all }: PgQuery): HistoryRepo {
  return {
    async history(convId, page) {
      if (page.thread !== undefined) {
        if (page.after !== undefined) {
          const rows = await all<MessageRow>(
            `SELECT * FROM messages WHERE conv_id = $1 AND body->>'thread' = $2 AND seq > $3
             ORDER BY seq ASC LIMIT $4`,
            [convId, page.thread, page.after, page.limit],
          );
          return rows.map(toHistory);
        }
        const rows = await all<MessageRow>(
          `SELECT * FROM messages WHERE conv_id = $1 AND body->>'thread' = $2 AND seq < $3
           ORDER BY seq DESC LIMIT $4`,
          [convId, page.thread, page.before ?? Number.MAX_SAFE_INTEGER, page.limit],
        );
        return rows.map(toHistory).reverse();
      }
      if (page.after !== undefined) {
        const rows = await all<MessageRow>(
          `SELECT * FROM messages WHERE conv_id = $1 AND last_seq > $2 ORDER BY last_seq ASC LIMIT $3`,
          [convId, page.after, page.limit],
        );
        return rows.map(toHistory);
      }
      const rows = await all<MessageRow>(
        'SELECT * FROM messages WHERE conv_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3',
        [convId, page.before ?? Number.MAX_SAFE_INTEGER, page.limit],
      );
      return rows.map(toHistory).reverse();
    },
    async threadSummaries(convId, rootIds) {
      const out = new Map<string, ThreadSummary>();
      if (rootIds.length === 0) return out;
      const rows = await all<{ root: string; n: string; last_seq: string; last_ts: string }>(
        `SELECT body->>'thread' AS root, count(*) AS n, max(seq) AS last_seq, max(ts) AS last_ts
           FROM messages WHERE conv_id = $1 AND body->>'thread' = ANY($2::text[])
          GROUP BY root`,
        [convId, rootIds],
      );
      for (const r of rows) {
        out.set(r.root, {
          count: Number(r.n),
          lastSeq: Number(r.last_seq),
          lastTs: Number(r.last_ts),
        });
      }
      return out;
    },
    async searchMessages(q): Promise<SearchRow[]> {
      if (q.words.length === 0 || q.convIds.length === 0) return [];
      // Words are letters and digits only (searchWords), quoted anyway; each a prefix.
      const tsquery = q.words.map((w) => `'${w.replaceAll("'", "''")}':*`).join(' & ');
      const [ts, id] = q.before?.split(':') ?? [];
      const rows = await all<MessageRow>(
        `SELECT * FROM messages
          WHERE to_tsvector('simple', body->>'text') @@ to_tsquery('simple', $1)
            AND conv_id = ANY($2::text[])
            AND (ts, message_id) < ($3::bigint, $4::text)
          ORDER BY ts DESC, message_id DESC LIMIT $5`,
        [
          tsquery,
          q.convIds,
          ts && /^\d+$/.test(ts) ? ts : String(Number.MAX_SAFE_INTEGER),
          id ?? '',
          q.limit,
        ],
      );
      return rows.map((r) => ({
        ...toHistory(r),
        convId: r.conv_id,
        cursor: `${r.ts}:${r.message_id}`,
      }));
    },
    eventsAfter: async (convId, seq, limit): Promise<StoredEvent[]> =>
      (
        await all<{ seq: number; event: StoredEvent['event']; data: Record<string, unknown> }>(
          'SELECT seq, event, data FROM events WHERE conv_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
          [convId, seq, limit],
        )
      ).map((r) => ({ seq: r.seq, event: r.event, data: r.data })),
  };
}
