// The names of the IPC channels, with nothing else, so that the preload can list them without
// bundling the schemas. src/shared/ipc.ts checks its schemas cover exactly these.

export const INVOKE_CHANNELS = [
  'app:info',
  'accounts:list',
  'accounts:signUp',
  'accounts:signIn',
  'accounts:signOut',
  'accounts:changePassword',
  'conversations:list',
  'chat:post',
  'chat:retry',
  'chat:discard',
  'chat:outbox',
  'chat:history',
  'chat:search',
  'files:uploadStart',
  'files:uploadChunk',
  'files:uploadFinish',
  'files:uploadCancel',
  'files:downloadStart',
  'files:downloadChunk',
  'files:downloadCancel',
  'people:search',
  'chat:edit',
  'chat:react',
  'chat:remove',
  'chat:read',
  'chat:compose',
  'groups:search',
  'groups:join',
  'groups:leave',
  'groups:topic',
  'profile:set',
  'profile:setAvatar',
  'profile:removeAvatar',
  'profile:avatar',
  'groups:members',
  'groups:invite',
  'groups:add',
  'presence:set',
  'presence:list',
  'rtc:signal',
  'settings:get',
  'settings:set',
  'ui:attention',
  'shell:openExternal',
  'app:networkChanged',
  'calls:keepAwake',
  'calls:ringing',
  'screen:chosen',
  'calls:ice',
  'calls:sfu',
] as const;
export type InvokeChannel = (typeof INVOKE_CHANNELS)[number];

export const EVENT_CHANNELS = [
  'account:status',
  'server:event',
  'outbox:changed',
  'unread:changed',
  'conversation:changed',
  'notification:open',
  'notification:show',
  'screen:choose',
] as const;
export type IpcEventChannel = (typeof EVENT_CHANNELS)[number];

/** `chat:post` → `chatPost`: the name of the channel's function on `window.parley`. */
export type BridgeName<C extends string> = C extends `${infer A}:${infer B}`
  ? `${A}${Capitalize<B>}`
  : C;

export function bridgeName<C extends InvokeChannel>(channel: C): BridgeName<C> {
  const [a, b = ''] = channel.split(':');
  return `${a}${b.charAt(0).toUpperCase()}${b.slice(1)}` as BridgeName<C>;
}
