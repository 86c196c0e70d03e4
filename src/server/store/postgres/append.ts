// Appending messages through PostgreSQL in batches (group commit): one batch at a time keeps
// appends in the order they were asked for; under load a batch takes whatever arrived during the
// previous one's round trip. The batch runs the parley_append_messages function (schema.ts).
import { GroupCommit } from '../group-commit.js';
import { newId, sendEventData, type MessageRow } from '../rows.js';
import type { AppendMessage, AppendResult } from '../records.js';
import { UNIQUE_VIOLATION, type PgQuery } from './query.js';

export function createAppender(
  { one, all }: PgQuery,
  onBatchError?: (err: unknown, size: number) => void,
): (m: AppendMessage) => Promise<AppendResult> {
  async function storedDuplicate(m: AppendMessage): Promise<AppendResult | undefined> {
    const seen = await one<MessageRow>(
      'SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2',
      [m.sender.user_id, m.clientMsgId],
    );
    return seen
      ? {
          messageId: seen.message_id,
          convId: seen.conv_id,
          seq: seen.seq,
          ts: seen.ts,
          duplicate: true,
        }
      : undefined;
  }

  async function appendOne(m: AppendMessage): Promise<AppendResult> {
    try {
      return (await appendBatch([m]))[0]!;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        const stored = await storedDuplicate(m);
        if (stored) return stored;
      }
      throw err;
    }
  }

  async function appendBatch(items: AppendMessage[]): Promise<AppendResult[]> {
    const rows = await all<{
      ord: number;
      message_id: string;
      conv_id: string;
      seq: number;
      ts: number;
      duplicate: boolean;
    }>('SELECT * FROM parley_append_messages($1::jsonb)', [
      JSON.stringify(
        items.map((m) => {
          const id = newId('m');
          return {
            conv: m.convId,
            ts: m.ts,
            a: m.dmPair?.[0] ?? null,
            b: m.dmPair?.[1] ?? null,
            sender: m.sender.user_id,
            id,
            name: m.sender.displayName,
            cmid: m.clientMsgId,
            body: m.body,
            data: sendEventData(id, m),
          };
        }),
      ),
    ]);
    const byOrd = new Map(rows.map((r) => [r.ord, r]));
    return items.map((_, i) => {
      const r = byOrd.get(i + 1);
      if (!r) throw new Error('a batched append answered fewer rows than it was given');
      return {
        messageId: r.message_id,
        convId: r.conv_id,
        seq: r.seq,
        ts: r.ts,
        duplicate: r.duplicate,
      };
    });
  }

  const appends = new GroupCommit(appendBatch, appendOne, {
    maxBatch: 200,
    ...(onBatchError ? { onBatchError } : {}),
  });
  return (m) => appends.submit(m);
}
