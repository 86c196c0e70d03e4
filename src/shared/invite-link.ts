// Invite links to groups: `parley://join?server=ORIGIN&group=NAME&invite=CODE`. Made by a member
// (private groups need one to join), opened by the desktop app as a deep link, or pasted into
// the group browser. Pure: runs in main and in the renderer.
import { isGroupName } from './names.js';

export interface InviteLink {
  server?: string;
  group: string;
  invite?: string;
}

export function formatInviteLink(link: Required<InviteLink>): string {
  const q = new URLSearchParams({ server: link.server, group: link.group, invite: link.invite });
  return `parley://join?${q.toString()}`;
}

/** The link's parts, or a sentence saying what is wrong with it. */
export function parseInviteLink(text: string): InviteLink | { problem: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { problem: 'That is not an invite link (they start with parley://join).' };
  }
  if (url.protocol !== 'parley:' || (url.hostname || url.pathname.replace(/^\/+/, '')) !== 'join') {
    return { problem: 'That is not an invite link (they start with parley://join).' };
  }
  const group = url.searchParams.get('group') ?? '';
  if (!isGroupName(group)) {
    return { problem: 'The link names no valid group.' };
  }
  const server = url.searchParams.get('server') ?? undefined;
  if (server !== undefined && !/^https?:\/\/[^/?#\s]+$/.test(server)) {
    return { problem: 'The link names no valid server.' };
  }
  const invite = url.searchParams.get('invite') ?? undefined;
  if (invite !== undefined && !/^[\w-]{1,64}$/.test(invite)) {
    return { problem: 'The link has a damaged invite code.' };
  }
  return {
    group,
    ...(server !== undefined ? { server } : {}),
    ...(invite !== undefined ? { invite } : {}),
  };
}
