// One entry point for every invoke from the renderer, whatever carries it (Electron's ipcMain,
// the web host's WebSocket): the channel must exist, the argument must parse, and the answer is
// an InvokeOutcome with a stable code on failure. The renderer is untrusted.
import {
  INVOKE_CHANNELS,
  invokeArgs,
  type InvokeChannel,
  type InvokeHandlers,
  type InvokeParsedArgs,
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
      result: await dispatch(core, channel as InvokeChannel, parsed.data),
    };
  } catch (err) {
    const described = describeError(err);
    if (described.code === 'INTERNAL') onInternalError(err, channel);
    return { ok: false, error: described };
  }
}

/**
 * One handler per invoke channel, typed by the contract: a channel without a handler, or a
 * handler whose answer is not the channel's InvokeResults entry, fails the typecheck.
 */
const handlers: InvokeHandlers<DesktopCore> = {
  'app:info': (core) => core.appInfo(),
  'accounts:list': (core) => core.listAccounts(),
  'accounts:signUp': (core, a) => core.signUp(a.server, a.username, a.password, a.displayName),
  'accounts:signIn': (core, a) => core.signIn(a.server, a.username, a.password),
  'accounts:signOut': (core, a) => core.signOut(a.accountId),
  'accounts:changePassword': (core, a) =>
    core.changePassword(a.accountId, a.currentPassword, a.newPassword),
  'conversations:list': (core, a) => core.conversations(a.accountId),
  'chat:post': (core, a) => {
    return core.post(a.accountId, a.to, a.text, {
      replyTo: a.replyTo,
      thread: a.thread,
      call: a.call,
      files: a.files,
    });
  },
  'files:uploadStart': (core, a) => {
    return core.files(a.accountId).startUpload({
      conversation: a.conversation,
      name: a.name,
      type: a.type,
      size: a.size,
    });
  },
  'files:uploadChunk': (core, a) =>
    core.files(a.accountId).sendChunk(a.uploadId, Buffer.from(a.data, 'base64')),
  'files:uploadFinish': (core, a) => core.files(a.accountId).finishUpload(a.uploadId),
  'files:uploadCancel': (core, a) => {
    core.files(a.accountId).cancelUpload(a.uploadId);
    return {};
  },
  'files:downloadStart': (core, a) => core.files(a.accountId).startDownload(a.fileId),
  'files:downloadChunk': async (core, a) => {
    const { data, done } = await core.files(a.accountId).readChunk(a.downloadId);
    return { data: data.toString('base64'), done };
  },
  'files:downloadCancel': (core, a) => {
    core.files(a.accountId).cancelDownload(a.downloadId);
    return {};
  },
  'chat:retry': (core, a) => core.retry(a.accountId, a.clientMsgId),
  'chat:discard': (core, a) => core.discard(a.accountId, a.clientMsgId),
  'chat:outbox': (core, a) => core.outbox(a.accountId),
  'chat:history': (core, a) => {
    const { accountId, ...params } = a;
    return core.history(accountId, params);
  },
  'chat:search': (core, a) => {
    const { accountId, ...params } = a;
    return core.request(accountId, 'search', params);
  },
  'people:search': (core, a) =>
    core.request(a.accountId, 'people', { query: a.query, limit: a.limit }),
  'chat:edit': (core, a) =>
    core.request(a.accountId, 'edit', { messageId: a.messageId, body: { text: a.text } }),
  'chat:remove': (core, a) => core.request(a.accountId, 'remove', { messageId: a.messageId }),
  'chat:react': (core, a) => {
    return core.request(a.accountId, 'react', {
      messageId: a.messageId,
      emoji: a.emoji,
      on: a.on,
    });
  },
  'chat:read': (core, a) => core.read(a.accountId, a.conversation, a.seq),
  'chat:compose': (core, a) => core.request(a.accountId, 'compose', { to: a.to, state: a.state }),
  'groups:search': (core, a) => {
    const { accountId, ...params } = a;
    return core.request(accountId, 'groups', params);
  },
  'groups:join': (core, a) => {
    const { accountId, ...params } = a;
    return core.request(accountId, 'join', params);
  },
  'groups:invite': (core, a) => core.request(a.accountId, 'invite', { group: a.group }),
  'groups:add': (core, a) =>
    core.request(a.accountId, 'add', { group: a.group, user_id: a.user_id }),
  'profile:set': (core, a) => core.request(a.accountId, 'profile', { displayName: a.displayName }),
  'profile:setAvatar': (core, a) =>
    core.files(a.accountId).putAvatar(Buffer.from(a.data, 'base64'), a.type),
  'profile:removeAvatar': async (core, a) => {
    await core.files(a.accountId).removeAvatar();
    return {};
  },
  'profile:avatar': async (core, a) => {
    const { data, type } = await core.files(a.accountId).avatar(a.avatar);
    return { data: data.toString('base64'), type };
  },
  'groups:topic': (core, a) =>
    core.request(a.accountId, 'topic', { group: a.group, topic: a.topic }),
  'groups:leave': (core, a) => core.request(a.accountId, 'leave', { group: a.group }),
  'groups:members': (core, a) => core.members(a.accountId, a.group),
  'presence:list': (core, a) => core.presenceList(a.accountId),
  'presence:set': (core, a) => core.setPresence(a.accountId, a.status, a.text),
  'rtc:signal': (core, a) => {
    return core.request(a.accountId, 'rtc', {
      ...(a.cid !== undefined ? { cid: a.cid } : { user_id: a.user }),
      callId: a.callId,
      signal: a.signal,
    });
  },
  'settings:get': (core) => core.getSettings(),
  'settings:set': (core, a) => core.setSettings(a),
  'ui:attention': (core, a) => core.setAttention(a),
  // electronegativity-justified OPEN_EXTERNAL_JS_CHECK: DesktopCore.openExternal checks it.
  'shell:openExternal': (core, a) => core.openExternal(a.url),
  'app:networkChanged': (core) => {
    core.nudge();
    return {};
  },
  'calls:ice': (core, a) => core.callIce(a.accountId),
  'calls:sfu': (core, a) => core.request(a.accountId, 'sfu', a.request),
  'screen:chosen': (core, a) => core.screenChosen(a.requestId, a.sourceId),
  'calls:ringing': (core, a) => core.ringing(a.accountId, a.userId, a.name, a.video, a.group),
  'calls:keepAwake': (core, a) => core.keepAwake(a.on),
};

/**
 * `data` was parsed by `channel`'s schema; TypeScript cannot correlate the two across the table
 * lookup, so the one widening is here.
 */
function dispatch<C extends InvokeChannel>(core: DesktopCore, channel: C, data: unknown) {
  const handler = handlers[channel] as (core: DesktopCore, a: InvokeParsedArgs<C>) => unknown;
  return handler(core, data as InvokeParsedArgs<C>);
}
