// Message requests: post (with replies, threads and files), edit, remove, react, and typing.
import { dmKey, groupKey } from '../../../shared/conversation-key.js';
import { MAX_THUMBNAIL_BYTES, MAX_THUMBNAIL_SIDE } from '../../../shared/files.js';
import {
  ErrorCode,
  MAX_FILES_PER_MESSAGE,
  MAX_REACTIONS_PER_MESSAGE,
  type MessageBody,
  type MessageFile,
  replyQuoteText,
  type RequestResultMap,
  SERVER_BODY_FIELDS,
  type ServerBodyFields,
} from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { topics } from '../../broker.js';
import { type ConvId, dmMembers, type FileRecord, groupOfConv } from '../../store/store.js';
import { checkBody, messageIn, ownMessage, sender, targetOf, visibleMessage } from '../checks.js';
import type { HubContext } from '../context.js';
import { eventFrame, keyFor } from '../frames.js';
import { sharesConversation } from '../presence.js';
import {
  announceHead,
  publishConversation,
  publishGroup,
  publishNewMessage,
} from '../publisher.js';
import { type HubConnection, HubError, type RequestOrder } from '../types.js';
import { queueForOffline } from './notify.js';
import { callRecordFor } from './rtc.js';

export async function post(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'post'>,
  order?: RequestOrder,
): Promise<RequestResultMap['post']> {
  checkBody(ctx, p.body);
  const { userId } = conn.user;
  const target = await targetOf(ctx, userId, p.to);
  const answer = await threadFields(ctx, target.convId, p);
  const files = await checkFiles(ctx, userId, target.convId, p.body.files);
  const call = p.callRecord
    ? callRecordFor(ctx, userId, target.other?.userId, p.callRecord.durationMs)
    : undefined;
  const body = answer || files || call ? { ...p.body, ...answer, ...files, ...call } : p.body;
  // `always` breaks through the recipient's focus; a stranger's first dm may not ask for that
  // (review M4): only members of a shared group, accepted dms and administrators may.
  const notification =
    p.notification?.always &&
    target.dmPair &&
    !conn.user.isAdmin &&
    !(await sharesConversation(ctx, userId, target.other!.userId))
      ? { ...p.notification, always: false }
      : p.notification;
  await order?.before;
  const ts = ctx.now();
  const saving = ctx.store.appendMessage({
    convId: target.convId,
    ...(target.dmPair ? { dmPair: target.dmPair } : {}),
    sender: sender(ctx, conn),
    clientMsgId: p.clientMsgId,
    body,
    ...(notification ? { notification } : {}),
    ts,
  });
  order?.queued();
  const saved = await saving;
  const result = {
    messageId: saved.messageId,
    conversation: keyFor(saved.convId, userId),
    seq: saved.seq,
    ts: saved.ts,
  };
  if (saved.duplicate) {
    // A retry: the first attempt's node may have died between commit and publish. Receivers
    // that have it drop the hint; the others read it from the store.
    if (!ctx.broker.lossless) announceHead(ctx, saved.convId, saved.seq);
    return result;
  }
  ctx.afterCommit?.();
  publishNewMessage(ctx, saved, {
    ts,
    from: sender(ctx, conn),
    body,
    clientMsgId: p.clientMsgId,
    ...(notification ? { notification } : {}),
  });
  if (notification?.always) await queueForOffline(ctx, conn, saved.convId, notification);
  return result;
}

/**
 * What a reply or a thread post adds to its body: the quote of the message answered, and the
 * thread's root (a reply to a message inside a thread goes to that thread's root). Both must be
 * messages of the same conversation, not removed; NOT_FOUND otherwise.
 */
export async function threadFields(
  ctx: HubContext,
  convId: ConvId,
  p: RequestParams<'post'>,
): Promise<ServerBodyFields | undefined> {
  if (p.replyTo === undefined && p.thread === undefined) return undefined;
  const out: ServerBodyFields = {};
  if (p.thread !== undefined) {
    let root = await messageIn(ctx, convId, p.thread, 'the thread');
    const rootOfRoot = root.body?.thread;
    if (typeof rootOfRoot === 'string')
      root = await messageIn(ctx, convId, rootOfRoot, 'the thread');
    out.thread = root.messageId;
    out.threadFrom = root.senderId;
  }
  if (p.replyTo !== undefined) {
    const quoted = await messageIn(ctx, convId, p.replyTo, 'the message you reply to');
    out.reply = {
      messageId: quoted.messageId,
      from: { user_id: quoted.senderId, displayName: quoted.senderName },
      text: replyQuoteText(quoted.body?.text ?? ''),
    };
  }
  return out;
}

/**
 * A post's attachments (`body.files`), checked: files the sender uploaded to this conversation,
 * at most MAX_FILES_PER_MESSAGE. Their names, types and sizes are the server's record, not the
 * client's word; a client may add an image's `width` and `height` and a `thumbFileId`.
 */
export async function checkFiles(
  ctx: HubContext,
  userId: string,
  convId: ConvId,
  files: unknown,
): Promise<{ files: MessageFile[] } | undefined> {
  if (files === undefined) return undefined;
  if (!Array.isArray(files) || files.length === 0 || files.length > MAX_FILES_PER_MESSAGE) {
    throw new HubError(
      ErrorCode.BAD_REQUEST,
      `files is a list of 1 to ${MAX_FILES_PER_MESSAGE} uploaded files`,
    );
  }
  const mine = async (fileId: unknown) => {
    const f = typeof fileId === 'string' ? await ctx.store.file(fileId) : undefined;
    if (!f || f.convId !== convId || f.uploaderId !== userId) {
      throw new HubError(
        ErrorCode.BAD_REQUEST,
        `${String(fileId)} is not a file you uploaded to this conversation`,
      );
    }
    // A file belongs to one message: removing that message deletes it (F4).
    if (f.messageId !== undefined) {
      throw new HubError(ErrorCode.BAD_REQUEST, `${f.fileId} was posted already; upload it again`);
    }
    return f;
  };
  const out: MessageFile[] = [];
  for (const item of files as Record<string, unknown>[]) {
    const f = await mine(item?.fileId);
    const dim = (v: unknown) =>
      Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= 100_000
        ? (v as number)
        : undefined;
    const width = dim(item.width);
    const height = dim(item.height);
    const thumb = item.thumbFileId !== undefined ? await mine(item.thumbFileId) : undefined;
    if (thumb) await checkThumbnail(ctx, thumb);
    out.push({
      fileId: f.fileId,
      name: f.name,
      type: f.type,
      size: f.size,
      ...(width && height ? { width, height } : {}),
      ...(thumb ? { thumbFileId: thumb.fileId } : {}),
    });
  }
  return { files: out };
}

/**
 * Every reader's page fetches a thumbnail unasked, and decodes it: it must be a small picture,
 * checked by its bytes (F10: "thumbnails" of 64 MiB, and picture bombs, were taken).
 */
async function checkThumbnail(ctx: HubContext, thumb: FileRecord): Promise<void> {
  const header =
    thumb.size <= MAX_THUMBNAIL_BYTES ? await ctx.imageHeader(thumb.fileId) : undefined;
  if (!header || header.width > MAX_THUMBNAIL_SIDE || header.height > MAX_THUMBNAIL_SIDE) {
    throw new HubError(
      ErrorCode.BAD_REQUEST,
      `a thumbnail is a PNG, JPEG, GIF or WebP picture of at most ${MAX_THUMBNAIL_BYTES / 1024} KiB and ${MAX_THUMBNAIL_SIDE} pixels a side`,
    );
  }
}

export async function edit(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'edit'>,
): Promise<RequestResultMap['edit']> {
  checkBody(ctx, p.body);
  if (p.body.files !== undefined) {
    throw new HubError(ErrorCode.BAD_REQUEST, 'an edit changes the text; its files stay');
  }
  const msg = await ownMessage(ctx, conn, p.messageId);
  // An edit changes what the author wrote; the quote, the thread and the files stay.
  const body: MessageBody = { ...p.body };
  for (const field of [...SERVER_BODY_FIELDS, 'files'] as const) {
    if (msg.body?.[field] !== undefined) body[field] = msg.body[field];
  }
  const ts = ctx.now();
  const { seq } = await ctx.store.editMessage(p.messageId, body, ts);
  publishConversation(
    ctx,
    msg.convId,
    'message:updated',
    (conversation) => ({
      messageId: p.messageId,
      conversation,
      seq,
      ts,
      body,
    }),
    seq,
  );
  return { messageId: p.messageId, seq };
}

export async function remove(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'remove'>,
): Promise<RequestResultMap['remove']> {
  const msg = await ownMessage(ctx, conn, p.messageId, true);
  const ts = ctx.now();
  const { seq, removedFiles } = await ctx.store.removeMessage(p.messageId, ts);
  // After the tombstone is committed: the records are gone (downloads answer 404), the bytes go.
  if (removedFiles.length > 0) {
    ctx.background(ctx.deleteFiles(removedFiles), "deleting a removed message's files");
  }
  publishConversation(
    ctx,
    msg.convId,
    'message:removed',
    (conversation) => ({
      messageId: p.messageId,
      conversation,
      seq,
      ts,
    }),
    seq,
  );
  return { messageId: p.messageId, seq };
}

/** Adds or takes back the user's reaction; a repeat answers without a new event. */
export async function react(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'react'>,
): Promise<RequestResultMap['react']> {
  const msg = await visibleMessage(ctx, conn, p.messageId);
  const ts = ctx.now();
  const result = await ctx.store.react(p.messageId, conn.user.userId, p.emoji, p.on, ts);
  if (result === 'full') {
    throw new HubError(
      ErrorCode.TOO_LARGE,
      `a message carries at most ${MAX_REACTIONS_PER_MESSAGE} different reactions`,
    );
  }
  if (result.changed) {
    publishConversation(
      ctx,
      msg.convId,
      'message:reactions',
      (conversation) => ({
        messageId: p.messageId,
        conversation,
        seq: result.seq,
        ts,
        reactions: result.reactions,
      }),
      result.seq,
    );
  }
  return { messageId: p.messageId, seq: result.seq };
}

export async function compose(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'compose'>,
): Promise<RequestResultMap['compose']> {
  const { convId } = await targetOf(ctx, conn.user.userId, p.to);
  // Typing goes only into a conversation that exists: not a way to poke strangers (M5).
  if (dmMembers(convId) && !(await ctx.store.conversationExists(convId))) {
    throw new HubError(ErrorCode.NOT_FOUND, 'there is no conversation with that user yet');
  }
  const from = sender(ctx, conn);
  const pair = dmMembers(convId);
  if (pair) {
    // Typing is for the other party only, not echoed to the typist's own devices.
    const other = pair[0] === conn.user.userId ? pair[1] : pair[0];
    const conversation = dmKey(conn.user.userId);
    ctx.broker.publish(topics.user(other), {
      event: 'message:compose',
      room: conversation,
      frame: eventFrame('message:compose', { conversation, from, state: p.state }),
    });
  } else {
    const group = groupOfConv(convId)!;
    publishGroup(ctx, group, 'message:compose', {
      conversation: groupKey(group),
      from,
      state: p.state,
    });
  }
  return {};
}
