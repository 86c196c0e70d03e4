import { useEffect, useState } from 'react';
import type { Typist } from '../../state/chat-store';
import { useStore } from '../../state/use-store';

const NONE: readonly Typist[] = [];

/** "Ann is typing…": who is typing now; entries lapse on their own if "paused" never comes. */
export function TypingIndicator({ conversation }: { conversation: string }) {
  const typists = useStore((s) => s.typing.get(conversation) ?? NONE);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (typists.length === 0) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [typists]);
  const names = typists.filter((t) => t.until > now).map((t) => t.name);
  const text =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length === 2
          ? `${names[0]} and ${names[1]} are typing…`
          : 'Several people are typing…';
  return (
    <div className="typing" role="status" aria-live="polite">
      {text}
    </div>
  );
}
