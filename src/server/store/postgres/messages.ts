// Messages: edits, removals and reactions, each an event in the conversation's log taken under
// its counter row's lock; earlier stored versions are rewritten so that removed or edited text
// does not linger (security review H2). New messages go through append.ts (group commit).
import { replyQuoteText } from '../../../shared/protocol.js';
import { applyReaction, reactionsOf, toMessage, type MessageRow } from '../rows.js';
import type { AppendMessage, AppendResult } from '../records.js';
import type { MessageRepo } from '../store.js';
import type { PgQuery, Queryable } from './query.js';

export function postgresMessages(
  { one, tx }: PgQuery,
  append: (m: AppendMessage) => Promise<AppendResult>,
): MessageRepo {
  async function appendEvent(
    db: Queryable,
    convId: string,
    event: string,
    data: { messageId: string; [key: string]: unknown },
    ts: number,
  ): Promise<number> {
    const row = await one<{ last_seq: number }>(
      `UPDATE conversations SET last_seq = last_seq + 1, last_ts = $2 WHERE conv_id = $1
       RETURNING last_seq`,
      [convId, ts],
      db,
    );
    if (!row) throw new Error(`conversation ${convId} does not exist`);
    await db.query(
      'INSERT INTO events (conv_id, seq, event, data, message_id) VALUES ($1, $2, $3, $4, $5)',
      [convId, row.last_seq, event, JSON.stringify(data), data.messageId],
    );
    return row.last_seq;
  }

  async function messageRow(db: Queryable, messageId: string): Promise<MessageRow> {
    const row = await one<MessageRow>(
      'SELECT * FROM messages WHERE message_id = $1',
      [messageId],
      db,
    );
    if (!row) throw new Error(`message ${messageId} does not exist`);
    return row;
  }

  /** Replies quoting a message carry its current words, or none once it is removed (F11). */
  async function requote(db: Queryable, convId: string, id: string, text: string | null) {
    const quote =
      text === null
        ? `jsonb_set(jsonb_set(X, '{reply,text}', '""'), '{reply,removed}', 'true')`
        : `jsonb_set(X, '{reply,text}', to_jsonb($3::text))`;
    const params = text === null ? [convId, id] : [convId, id, text];
    await db.query(
      `UPDATE messages SET body = ${quote.replaceAll('X', 'body')}
        WHERE conv_id = $1 AND body->'reply'->>'messageId' = $2`,
      params,
    );
    await db.query(
      `UPDATE events SET data = jsonb_set(data, '{body}', ${quote.replaceAll('X', "data->'body'")})
        WHERE conv_id = $1 AND data->'body'->'reply'->>'messageId' = $2`,
      params,
    );
  }

  return {
    appendMessage: append,
    message: async (messageId) => {
      const r = await one<MessageRow>('SELECT * FROM messages WHERE message_id = $1', [messageId]);
      return r ? toMessage(r) : undefined;
    },
    editMessage: (messageId, body, ts) =>
      tx(async (db) => {
        const msg = await messageRow(db, messageId);
        const seq = await appendEvent(
          db,
          msg.conv_id,
          'message:updated',
          { messageId, ts, body },
          ts,
        );
        await db.query(
          'UPDATE messages SET body = $1, edited_ts = $2, last_seq = $3 WHERE message_id = $4',
          [JSON.stringify(body), ts, seq, messageId],
        );
        // Every earlier stored version takes the current body (security review H2).
        await db.query(
          `UPDATE events SET data = jsonb_set(data, '{body}', $1::jsonb) - 'notification'
           WHERE message_id = $2 AND seq < $3 AND conv_id = $4`,
          [JSON.stringify(body), messageId, seq, msg.conv_id],
        );
        await requote(db, msg.conv_id, messageId, replyQuoteText(body.text));
        return { seq };
      }),
    removeMessage: (messageId, ts) =>
      tx(async (db) => {
        const msg = await messageRow(db, messageId);
        const seq = await appendEvent(db, msg.conv_id, 'message:removed', { messageId, ts }, ts);
        await db.query(
          `UPDATE messages SET body = NULL, removed = true, reactions = NULL, last_seq = $1
           WHERE message_id = $2`,
          [seq, messageId],
        );
        // Only the tombstone stays (H2). The old row versions are dead tuples until VACUUM.
        await db.query(
          `UPDATE events SET data = jsonb_set(jsonb_set(data - 'notification', '{body}', 'null'),
             '{removed}', 'true') WHERE message_id = $1 AND event = 'message:send'`,
          [messageId],
        );
        await db.query(
          `UPDATE events SET data = jsonb_set(data, '{body}', 'null')
           WHERE message_id = $1 AND event = 'message:updated'`,
          [messageId],
        );
        await requote(db, msg.conv_id, messageId, null);
        // Its files go with it (F4): the rows here, the bytes by the caller.
        const dropped = await db.query<{ file_id: string }>(
          'DELETE FROM files WHERE message_id = $1 RETURNING file_id',
          [messageId],
        );
        return { seq, removedFiles: dropped.rows.map((r) => r.file_id) };
      }),
    react: (messageId, userId, emoji, on, ts) =>
      tx(async (db) => {
        // Two reactions at once must not both start from the same list. Every change to a
        // message first locks its conversation's counter (appendEvent), so lock that row, then
        // read the message again: the same lock order as edit and remove, so no deadlock.
        const { conv_id: convId } = await messageRow(db, messageId);
        await db.query('SELECT 1 FROM conversations WHERE conv_id = $1 FOR UPDATE', [convId]);
        const msg = await messageRow(db, messageId);
        const current = reactionsOf(msg);
        const next = applyReaction(current, userId, emoji, on);
        if (next === 'full') return 'full' as const;
        if (next === 'unchanged') return { changed: false, seq: msg.last_seq, reactions: current };
        const seq = await appendEvent(
          db,
          msg.conv_id,
          'message:reactions',
          { messageId, ts, reactions: next },
          ts,
        );
        await db.query('UPDATE messages SET reactions = $1, last_seq = $2 WHERE message_id = $3', [
          next.length ? JSON.stringify(next) : null,
          seq,
          messageId,
        ]);
        return { changed: true, seq, reactions: next };
      }),
  };
}
