// One entry point for every invoke from the renderer, whatever carries it (Electron's ipcMain,
// the web host's WebSocket): the channel must exist, the argument must parse, and the answer is
// an InvokeOutcome with a stable code on failure. The renderer is untrusted.
import {
  INVOKE_CHANNELS,
  invokeArgs,
  type InvokeChannel,
  type InvokeOutcome,
} from '../../shared/ipc.js';
import { describeIssues } from '../../shared/schemas.js';
import { describeError, type DesktopCore } from './desktop-core.js';

const CHANNELS = new Set<string>(INVOKE_CHANNELS);

export async function handleInvoke(
  core: DesktopCore,
  channel: unknown,
  rawArgs: unknown,
  onInternalError: (err: unknown, channel: string) => void = () => undefined,
): Promise<InvokeOutcome<unknown>> {
  if (typeof channel !== 'string' || !CHANNELS.has(channel)) {
    return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'There is no such request.' } };
  }
  const parsed = invokeArgs[channel as InvokeChannel].safeParse(rawArgs ?? {});
  if (!parsed.success) {
    return { ok: false, error: { code: 'BAD_REQUEST', message: describeIssues(parsed.error) } };
  }
  try {
    return {
      ok: true,
      result: await dispatch(core, channel as InvokeChannel, parsed.data as never),
    };
  } catch (err) {
    const described = describeError(err);
    if (described.code === 'INTERNAL') onInternalError(err, channel);
    return { ok: false, error: described };
  }
}

// The arguments arrive parsed by the channel's schema; each case reads its own fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function dispatch(core: DesktopCore, channel: InvokeChannel, a: any): Promise<unknown> {
  switch (channel) {
    case 'app:info':
      return core.appInfo();
    case 'accounts:list':
      return core.listAccounts();
    case 'accounts:signUp':
      return core.signUp(a.server, a.username, a.password, a.displayName);
    case 'accounts:signIn':
      return core.signIn(a.server, a.username, a.password);
    case 'accounts:signOut':
      return core.signOut(a.accountId);
    case 'accounts:changePassword':
      return core.changePassword(a.accountId, a.currentPassword, a.newPassword);
    case 'conversations:list':
      return core.conversations(a.accountId);
    case 'chat:post':
      return core.post(a.accountId, a.to, a.text, {
        replyTo: a.replyTo,
        thread: a.thread,
        call: a.call,
        files: a.files,
      });
    case 'files:uploadStart':
      return core.files(a.accountId).startUpload({
        conversation: a.conversation,
        name: a.name,
        type: a.type,
        size: a.size,
      });
    case 'files:uploadChunk':
      return core.files(a.accountId).sendChunk(a.uploadId, Buffer.from(a.data, 'base64'));
    case 'files:uploadFinish':
      return core.files(a.accountId).finishUpload(a.uploadId);
    case 'files:uploadCancel':
      core.files(a.accountId).cancelUpload(a.uploadId);
      return {};
    case 'files:downloadStart':
      return core.files(a.accountId).startDownload(a.fileId);
    case 'files:downloadChunk': {
      const { data, done } = await core.files(a.accountId).readChunk(a.downloadId);
      return { data: data.toString('base64'), done };
    }
    case 'files:downloadCancel':
      core.files(a.accountId).cancelDownload(a.downloadId);
      return {};
    case 'chat:retry':
      return core.retry(a.accountId, a.clientMsgId);
    case 'chat:discard':
      return core.discard(a.accountId, a.clientMsgId);
    case 'chat:outbox':
      return core.outbox(a.accountId);
    case 'chat:history': {
      const { accountId, ...params } = a;
      return core.history(accountId, params);
    }
    case 'chat:search': {
      const { accountId, ...params } = a;
      return core.request(accountId, 'search', params);
    }
    case 'people:search':
      return core.request(a.accountId, 'people', { query: a.query, limit: a.limit });
    case 'chat:edit':
      return core.request(a.accountId, 'edit', { messageId: a.messageId, body: { text: a.text } });
    case 'chat:remove':
      return core.request(a.accountId, 'remove', { messageId: a.messageId });
    case 'chat:react':
      return core.request(a.accountId, 'react', {
        messageId: a.messageId,
        emoji: a.emoji,
        on: a.on,
      });
    case 'chat:read':
      return core.read(a.accountId, a.conversation, a.seq);
    case 'chat:compose':
      return core.request(a.accountId, 'compose', { to: a.to, state: a.state });
    case 'groups:search': {
      const { accountId, ...params } = a;
      return core.request(accountId, 'groups', params);
    }
    case 'groups:join': {
      const { accountId, ...params } = a;
      return core.request(accountId, 'join', params);
    }
    case 'groups:invite':
      return core.request(a.accountId, 'invite', { group: a.group });
    case 'profile:set':
      return core.request(a.accountId, 'profile', { displayName: a.displayName });
    case 'profile:setAvatar':
      return core.files(a.accountId).putAvatar(Buffer.from(a.data, 'base64'), a.type);
    case 'profile:removeAvatar':
      await core.files(a.accountId).removeAvatar();
      return {};
    case 'profile:avatar': {
      const { data, type } = await core.files(a.accountId).avatar(a.avatar);
      return { data: data.toString('base64'), type };
    }
    case 'groups:topic':
      return core.request(a.accountId, 'topic', { group: a.group, topic: a.topic });
    case 'groups:leave':
      return core.request(a.accountId, 'leave', { group: a.group });
    case 'groups:members':
      return core.members(a.accountId, a.group);
    case 'presence:list':
      return core.presenceList(a.accountId);
    case 'presence:set':
      return core.setPresence(a.accountId, a.status, a.text);
    case 'rtc:signal':
      return core.request(a.accountId, 'rtc', {
        ...(a.cid !== undefined ? { cid: a.cid } : { user_id: a.user }),
        callId: a.callId,
        signal: a.signal,
      });
    case 'settings:get':
      return core.getSettings();
    case 'settings:set':
      return core.setSettings(a);
    case 'ui:attention':
      return core.setAttention(a);
    case 'shell:openExternal':
      // electronegativity-justified OPEN_EXTERNAL_JS_CHECK: DesktopCore.openExternal checks it.
      return core.openExternal(a.url);
    case 'app:networkChanged':
      core.nudge();
      return {};
    case 'calls:ice':
      return core.callIce(a.accountId);
    case 'screen:chosen':
      return core.screenChosen(a.requestId, a.sourceId);
    case 'calls:ringing':
      return core.ringing(a.accountId, a.userId, a.name, a.video, a.group);
    case 'calls:keepAwake':
      return core.keepAwake(a.on);
  }
}
