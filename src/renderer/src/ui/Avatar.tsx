// A person's picture, or their initials on a colour of their own when they have none: drawn the
// same everywhere, with no image or font needed. Decorative: the name is always written beside.
import { memo, useEffect, useState } from 'react';
import type { ChatStore } from '../state/chat-store';
import { useChatStore, useStore } from '../state/use-store';

/**
 * Pictures fetched, by avatar id (an id's picture never changes), the most recently used last.
 * Bounded, and a person's replaced picture is let go at once: someone changing theirs in a loop
 * cannot make this page keep every one (security review 3, F15).
 */
const urls = new Map<string, Promise<string>>();
const AVATARS_KEPT = 150;
/** Each person's picture id last shown. */
const currentOf = new Map<string, string>();

function forget(avatar: string): void {
  const url = urls.get(avatar);
  urls.delete(avatar);
  void url?.then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
}

function avatarUrl(store: ChatStore, userId: string, avatar: string): Promise<string> {
  const previous = currentOf.get(userId);
  if (previous !== undefined && previous !== avatar) forget(previous);
  currentOf.set(userId, avatar);
  let url = urls.get(avatar);
  if (url) {
    urls.delete(avatar); // most recently used goes last
  } else {
    url = store
      .invoke('profile:avatar', { accountId: store.getState().accountId!, avatar })
      .then(({ data, type }) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        return URL.createObjectURL(new Blob([bytes], { type }));
      });
    url.catch(() => urls.delete(avatar));
  }
  urls.set(avatar, url);
  if (urls.size > AVATARS_KEPT) forget(urls.keys().next().value!);
  return url;
}

/** A hue of the user's own, from their id. */
function hue(userId: string): number {
  let h = 0;
  for (const c of userId) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

export function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => Array.from(w)[0]!.toUpperCase())
      .join('') || '?'
  );
}

export const Avatar = memo(function Avatar({
  userId,
  name,
  size = 28,
}: {
  userId: string;
  name: string;
  size?: number;
}) {
  const store = useChatStore();
  const avatar = useStore((s) => s.avatars.get(userId) ?? null);
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!avatar) return;
    let live = true;
    avatarUrl(store, userId, avatar)
      .then((u) => live && setUrl(u))
      .catch(() => live && setUrl(null));
    return () => {
      live = false;
    };
  }, [store, userId, avatar]);
  return <AvatarFace userId={userId} name={name} size={size} url={avatar ? url : null} />;
});

/** The drawing alone: the picture at `url`, or the initials on the person's own colour. */
export function AvatarFace({
  userId,
  name,
  size = 28,
  url = null,
}: {
  userId: string;
  name: string;
  size?: number;
  url?: string | null;
}) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.42) };
  if (url) {
    return <img className="avatar" src={url} alt="" aria-hidden style={style} />;
  }
  return (
    <span
      className="avatar"
      aria-hidden
      // Dark enough for white initials to pass WCAG AA (4.5:1) at every hue, yellow included.
      style={{ ...style, background: `hsl(${hue(userId)} 45% 30%)` }}
    >
      {initials(name)}
    </span>
  );
}
