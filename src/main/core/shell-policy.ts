// The decisions behind the Electron shell, as pure functions: who may call main, which
// permissions a page gets, what the tray shows, which deep links are accepted, where the window
// goes. The adapters in src/main/electron only apply them.
import { z } from 'zod';
import type { ConnectionStatus } from '../../shared/ipc.js';
import { conversationKey, groupName } from '../../shared/schemas.js';

/** An IPC call is ours when it comes from our window's top frame showing our page. */
export function isTrustedSender(
  s: { fromOurWindow: boolean; isMainFrame: boolean; url: string },
  isOurPage: (url: string) => boolean,
): boolean {
  return s.fromOurWindow && s.isMainFrame && isOurPage(s.url);
}

/** Calls need camera, microphone and screen capture; our page gets those and nothing else. */
const GRANTED = new Set(['media', 'display-capture']);

export function permissionAllowed(
  permission: string,
  requestingUrl: string,
  isOurPage: (url: string) => boolean,
): boolean {
  return GRANTED.has(permission) && isOurPage(requestingUrl);
}

export type TrayIcon = 'normal' | 'unread' | 'offline';

/** Offline when no account is online (and there is one); unread when anything is unread. */
export function trayState(
  statuses: readonly ConnectionStatus[],
  totalUnread: number,
): { icon: TrayIcon; tooltip: string } {
  const online = statuses.filter((s) => s.state === 'online').length;
  if (statuses.length > 0 && online === 0) {
    const waiting = statuses.some((s) => s.state === 'waiting' || s.state === 'connecting');
    return { icon: 'offline', tooltip: waiting ? 'Parley — reconnecting…' : 'Parley — offline' };
  }
  if (totalUnread > 0) {
    return {
      icon: 'unread',
      tooltip: `Parley — ${totalUnread} unread message${totalUnread === 1 ? '' : 's'}`,
    };
  }
  return { icon: 'normal', tooltip: 'Parley' };
}

export type DeepLink =
  | { action: 'open'; server: string; conversation: string }
  | { action: 'join'; server: string; group: string; invite?: string };

const serverParam = z
  .string()
  .max(500)
  .refine((s) => /^https?:\/\/[^/\s]+$/i.test(s), 'server is an http(s) origin');
const openLink = z.object({ server: serverParam, conversation: conversationKey });
const joinLink = z.object({
  server: serverParam,
  group: groupName,
  invite: z
    .string()
    .regex(/^[\w-]{1,64}$/)
    .optional(),
});

/**
 * `parley://open?server=https://chat.example&conversation=group:general` and
 * `parley://join?server=...&group=general`. Anything else, or anything malformed, is null: a link
 * from a web page is untrusted input.
 */
export function parseDeepLink(raw: string): DeepLink | null {
  if (typeof raw !== 'string' || raw.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'parley:') return null;
  const action = url.hostname || url.pathname.replace(/^\/+/, '').split('/')[0];
  const params = Object.fromEntries(url.searchParams);
  if (action === 'open') {
    const p = openLink.safeParse(params);
    return p.success
      ? { action: 'open', server: p.data.server, conversation: p.data.conversation }
      : null;
  }
  if (action === 'join') {
    const p = joinLink.safeParse(params);
    return p.success
      ? {
          action: 'join',
          server: p.data.server,
          group: p.data.group,
          ...(p.data.invite ? { invite: p.data.invite } : {}),
        }
      : null;
  }
  return null;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where to open the window: the saved bounds if most of the title bar is still on a display
 * (monitors get unplugged), else centred on the primary display at the saved or default size.
 */
export function restoreBounds(
  saved: Rect | undefined,
  displays: readonly Rect[],
  fallback = { width: 1100, height: 720 },
): Rect {
  const primary = displays[0] ?? { x: 0, y: 0, width: 1280, height: 800 };
  const size = {
    width: Math.min(Math.max(saved?.width ?? fallback.width, 640), primary.width),
    height: Math.min(Math.max(saved?.height ?? fallback.height, 480), primary.height),
  };
  if (saved) {
    const titleBar = { x: saved.x, y: saved.y, width: saved.width, height: 32 };
    const visible = displays.some(
      (d) => overlap(titleBar, d) >= 0.5 * titleBar.width * titleBar.height,
    );
    if (visible) return { x: saved.x, y: saved.y, ...size };
  }
  return {
    x: Math.round(primary.x + (primary.width - size.width) / 2),
    y: Math.round(primary.y + (primary.height - size.height) / 2),
    ...size,
  };
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}
