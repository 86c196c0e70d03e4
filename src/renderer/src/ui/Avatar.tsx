// A person's picture, or their initials on a colour of their own when they have none: drawn the
// same everywhere, with no image or font needed. Decorative: the name is always written beside.
import { memo, useEffect, useState } from 'react';
import type { ChatStore } from '../state/chat-store';
import { useChatStore, useStore } from '../state/use-store';

/** Pictures fetched, by avatar id (an id's picture never changes). */
const urls = new Map<string, Promise<string>>();

function avatarUrl(store: ChatStore, avatar: string): Promise<string> {
  let url = urls.get(avatar);
  if (!url) {
    url = store
      .invoke('profile:avatar', { accountId: store.getState().accountId!, avatar })
      .then(({ data, type }) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        return URL.createObjectURL(new Blob([bytes], { type }));
      });
    url.catch(() => urls.delete(avatar));
    urls.set(avatar, url);
  }
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
    avatarUrl(store, avatar)
      .then((u) => live && setUrl(u))
      .catch(() => live && setUrl(null));
    return () => {
      live = false;
    };
  }, [store, avatar]);
  const style = { width: size, height: size, fontSize: Math.round(size * 0.42) };
  if (avatar && url) {
    return <img className="avatar" src={url} alt="" aria-hidden style={style} />;
  }
  return (
    <span
      className="avatar"
      aria-hidden
      style={{ ...style, background: `hsl(${hue(userId)} 45% 42%)` }}
    >
      {initials(name)}
    </span>
  );
});
