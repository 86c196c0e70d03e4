// Messages: appending with the conversation's next seq, edits, removals and reactions. Each
// change is an event in the conversation's log; earlier stored versions are rewritten so that
// removed or edited text does not linger (security review H2).
import type Database from 'better-sqlite3';
import { replyQuoteText, type MessageBody } from '../../../shared/protocol.js';
import {
  applyReaction,
  newId,
  reactionsOf,
  sendEventData,
  toMessage,
  type MessageRow,
} from '../rows.js';
import type { AppendMessage, AppendResult, ConvId } from '../records.js';
import type { MessageRepo, Sync } from '../store.js';

export function sqliteMessages(db: Database.Database): Sync<MessageRepo> & {
  compactSearchIndex(): void;
} {
  const q = {
    byClientId: db.prepare<[string, string], MessageRow>(
      'SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?',
    ),
    insertConv: db.prepare(
      `INSERT INTO conversations (conv_id, last_seq, last_ts, user_a, user_b) VALUES (?, 0, 0, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    markPosted: db.prepare(
      `UPDATE conversations SET a_posted = a_posted | (user_a = ?), b_posted = b_posted | (user_b = ?)
       WHERE conv_id = ?`,
    ),
    bumpConv: db.prepare<[number, string], { last_seq: number }>(
      `UPDATE conversations SET last_seq = last_seq + 1, last_ts = ? WHERE conv_id = ?
       RETURNING last_seq`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (message_id, conv_id, seq, last_seq, sender_id, sender_name,
         client_msg_id, body, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertEvent: db.prepare(
      'INSERT INTO events (conv_id, seq, event, data, message_id) VALUES (?, ?, ?, ?, ?)',
    ),
    // Every earlier stored version of an edited message takes its current body (H2).
    rewriteBodies: db.prepare(
      `UPDATE events SET data = json_remove(json_set(data, '$.body', json(?)), '$.notification')
       WHERE message_id = ? AND seq < ?`,
    ),
    // A removed message keeps only its tombstone in the log (H2).
    tombstoneSend: db.prepare(
      `UPDATE events SET data = json_set(json_remove(data, '$.notification'),
         '$.body', json('null'), '$.removed', json('true'))
       WHERE message_id = ? AND event = 'message:send'`,
    ),
    tombstoneEdits: db.prepare(
      `UPDATE events SET data = json_set(data, '$.body', json('null'))
       WHERE message_id = ? AND event = 'message:updated'`,
    ),
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE message_id = ?'),
    // Replies quoting a message carry its current words, or none once it is removed (F11).
    requoteMessages: db.prepare(
      `UPDATE messages SET body = CASE WHEN @removed THEN json_set(body, '$.reply.text', '',
           '$.reply.removed', json('true')) ELSE json_set(body, '$.reply.text', @text) END
       WHERE conv_id = @conv AND body IS NOT NULL AND json_extract(body, '$.reply.messageId') = @id`,
    ),
    requoteEvents: db.prepare(
      `UPDATE events SET data = CASE WHEN @removed THEN json_set(data, '$.body.reply.text', '',
           '$.body.reply.removed', json('true')) ELSE json_set(data, '$.body.reply.text', @text) END
       WHERE conv_id = @conv AND json_extract(data, '$.body.reply.messageId') = @id`,
    ),
    editMessage: db.prepare(
      'UPDATE messages SET body = ?, edited_ts = ?, last_seq = ? WHERE message_id = ?',
    ),
    removeMessage: db.prepare(
      'UPDATE messages SET body = NULL, removed = 1, reactions = NULL, last_seq = ? WHERE message_id = ?',
    ),
    // A removed message's files go with it (F4): the rows here, the bytes by the caller.
    dropFiles: db.prepare<[string], { file_id: string }>(
      'DELETE FROM files WHERE message_id = ? RETURNING file_id',
    ),
    setReactions: db.prepare(
      'UPDATE messages SET reactions = ?, last_seq = ? WHERE message_id = ?',
    ),
  };

  /** Takes the conversation's next seq and writes the event to its log. */
  function appendEvent(
    convId: ConvId,
    event: string,
    data: { messageId: string; [key: string]: unknown },
    ts: number,
  ): number {
    const row = q.bumpConv.get(ts, convId);
    if (!row) throw new Error(`conversation ${convId} does not exist`);
    q.insertEvent.run(convId, row.last_seq, event, JSON.stringify(data), data.messageId);
    return row.last_seq;
  }

  function requote(conv: string, id: string, text: string, removed: boolean): void {
    const params = { conv, id, text, removed: removed ? 1 : 0 };
    q.requoteMessages.run(params);
    q.requoteEvents.run(params);
  }

  const appendMessage = db.transaction((m: AppendMessage): AppendResult => {
    const seen = q.byClientId.get(m.sender.user_id, m.clientMsgId);
    if (seen) {
      return {
        messageId: seen.message_id,
        convId: seen.conv_id,
        seq: seen.seq,
        ts: seen.ts,
        duplicate: true,
      };
    }
    q.insertConv.run(m.convId, m.dmPair?.[0] ?? null, m.dmPair?.[1] ?? null);
    if (m.dmPair) q.markPosted.run(m.sender.user_id, m.sender.user_id, m.convId);
    const messageId = newId('m');
    const data = sendEventData(messageId, m);
    const seq = appendEvent(m.convId, 'message:send', data, m.ts);
    q.insertMessage.run(
      messageId,
      m.convId,
      seq,
      seq,
      m.sender.user_id,
      m.sender.displayName,
      m.clientMsgId,
      JSON.stringify(m.body),
      m.ts,
    );
    return { messageId, convId: m.convId, seq, ts: m.ts, duplicate: false };
  });

  const editMessage = db.transaction((messageId: string, body: MessageBody, ts: number) => {
    const msg = q.message.get(messageId)!;
    const seq = appendEvent(msg.conv_id, 'message:updated', { messageId, ts, body }, ts);
    q.editMessage.run(JSON.stringify(body), ts, seq, messageId);
    q.rewriteBodies.run(JSON.stringify(body), messageId, seq);
    requote(msg.conv_id, messageId, replyQuoteText(body.text), false);
    return { seq };
  });

  const removeMessage = db.transaction((messageId: string, ts: number) => {
    const msg = q.message.get(messageId)!;
    const seq = appendEvent(msg.conv_id, 'message:removed', { messageId, ts }, ts);
    q.removeMessage.run(seq, messageId);
    q.tombstoneSend.run(messageId);
    q.tombstoneEdits.run(messageId);
    requote(msg.conv_id, messageId, '', true);
    const removedFiles = q.dropFiles.all(messageId).map((r) => r.file_id);
    return { seq, removedFiles };
  });

  const react = db.transaction(
    (messageId: string, userId: string, emoji: string, on: boolean, ts: number) => {
      const msg = q.message.get(messageId)!;
      const current = reactionsOf(msg);
      const next = applyReaction(current, userId, emoji, on);
      if (next === 'full') return 'full' as const;
      if (next === 'unchanged') return { changed: false, seq: msg.last_seq, reactions: current };
      const seq = appendEvent(
        msg.conv_id,
        'message:reactions',
        { messageId, ts, reactions: next },
        ts,
      );
      q.setReactions.run(next.length ? JSON.stringify(next) : null, seq, messageId);
      return { changed: true, seq, reactions: next };
    },
  );

  /**
   * FTS5 takes a removed or edited message's words out of its results at once, but their bytes
   * stay in the index's pages until its segments are merged: the next purge (hourly) rewrites
   * the index when anything was removed or edited since (security review H2).
   */
  let searchIndexDirty = false;

  return {
    appendMessage,
    message: (messageId) => {
      const r = q.message.get(messageId);
      return r ? toMessage(r) : undefined;
    },
    editMessage: (messageId, body, ts) => {
      searchIndexDirty = true;
      return editMessage(messageId, body, ts);
    },
    removeMessage(messageId, ts) {
      const result = removeMessage(messageId, ts);
      searchIndexDirty = true;
      // The old text also sits in WAL frames and in pages of the main file until a checkpoint
      // copies the scrubbed pages over them; removals are rare, so checkpoint at once.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return result;
    },
    react,
    compactSearchIndex() {
      if (!searchIndexDirty) return;
      searchIndexDirty = false;
      db.exec("INSERT INTO messages_fts(messages_fts) VALUES('optimize')");
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
  };
}
