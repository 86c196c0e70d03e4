// Reactions under a message (each emoji with its count; pressed when it is yours) and the small
// picker that adds one. Names come from the member lists the client holds.
import type { Gemoji } from 'gemoji';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { loadEmoji, searchEmoji } from './emoji-search';
import type { Reaction } from '../../../../shared/protocol';
import { useChatStore, useStore } from '../../state/use-store';

/** The picker's emoji and their names (read by screen readers, shown as tooltips). */
export const QUICK_REACTIONS: readonly { emoji: string; name: string }[] = [
  { emoji: '👍', name: 'thumbs up' },
  { emoji: '❤️', name: 'heart' },
  { emoji: '😂', name: 'laughing' },
  { emoji: '🎉', name: 'party' },
  { emoji: '😮', name: 'surprised' },
  { emoji: '😢', name: 'sad' },
  { emoji: '👀', name: 'eyes' },
  { emoji: '✅', name: 'check' },
];

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  if (names.length > 6) return `${names.slice(0, 5).join(', ')} and ${names.length - 5} others`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** A name for each user id: "you", a member list's display name, else "someone". */
function useNameOf(): (userId: string) => string {
  const members = useStore((s) => s.members);
  const me = useChatStore().me?.user_id;
  return (userId) => {
    if (userId === me) return 'you';
    for (const list of members.values()) {
      const found = list.find((u) => u.user_id === userId);
      if (found) return found.displayName;
    }
    return 'someone';
  };
}

export function ReactionBar({
  reactions,
  me,
  onToggle,
}: {
  reactions: readonly Reaction[];
  me: string | undefined;
  onToggle: (emoji: string, on: boolean) => void;
}) {
  const nameOf = useNameOf();
  return (
    <div className="reactions" role="group" aria-label="Reactions">
      {reactions.map((r) => {
        const mine = me !== undefined && r.user_ids.includes(me);
        const who = listNames(r.user_ids.map(nameOf));
        return (
          <button
            key={r.emoji}
            type="button"
            className="reaction emoji"
            aria-pressed={mine}
            title={`${who} reacted with ${r.emoji}`}
            aria-label={`${r.emoji} ${r.user_ids.length}: ${who}${mine ? ' (press to take yours back)' : ''}`}
            onClick={() => onToggle(r.emoji, !mine)}
          >
            {r.emoji} <span className="count">{r.user_ids.length}</span>
          </button>
        );
      })}
    </div>
  );
}

/**
 * The emoji to react with: eight at hand, and any other by name (typing searches). Escape or a
 * pick closes it and gives focus back.
 */
export function ReactionPicker({
  onPick,
  onClose,
}: {
  onPick: (emoji: string) => void;
  onClose: () => void;
}) {
  const first = useRef<HTMLButtonElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const [list, setList] = useState<readonly Gemoji[] | null>(null);
  useEffect(() => first.current?.focus(), []);
  useEffect(() => {
    if (query && !list) void loadEmoji().then(setList);
  }, [query, list]);
  const found = query && list ? searchEmoji(list, query, 24) : [];
  function onKey(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
      return;
    }
    // A letter typed on an emoji goes to the search field (the key lands there).
    if (e.key.length === 1 && /\p{L}/u.test(e.key) && e.target !== search.current) {
      search.current?.focus();
      return;
    }
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    if (e.target === search.current) return;
    // Arrows move between the emoji, as in the pickers of other chat apps.
    const buttons = [...e.currentTarget.querySelectorAll('button')];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = (at + (e.key === 'ArrowRight' ? 1 : -1) + buttons.length) % buttons.length;
    buttons[next]?.focus();
    e.preventDefault();
  }
  const shown = query
    ? found.map((f) => ({ emoji: f.emoji, name: f.name.replaceAll('_', ' ') }))
    : QUICK_REACTIONS;
  return (
    <div className="reaction-picker" role="dialog" aria-label="Pick a reaction" onKeyDown={onKey}>
      {shown.map((q, i) => (
        <button
          key={q.emoji}
          ref={i === 0 ? first : undefined}
          type="button"
          className="emoji"
          title={q.name}
          aria-label={`React with ${q.name}`}
          onClick={() => onPick(q.emoji)}
        >
          {q.emoji}
        </button>
      ))}
      {query && list && found.length === 0 && <span className="hint">No emoji by that name.</span>}
      <input
        ref={search}
        className="emoji-search"
        aria-label="Search emoji by name"
        placeholder="Search…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && found[0]) {
            e.preventDefault();
            onPick(found[0].emoji);
          }
        }}
      />
      <button type="button" className="close" aria-label="Close" onClick={onClose}>
        ×
      </button>
    </div>
  );
}
