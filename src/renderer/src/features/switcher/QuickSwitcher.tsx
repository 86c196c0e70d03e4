// Ctrl/Cmd+K: type part of a name, arrows to choose, Enter to open. Conversations held come first,
// then people on the server found by name: choosing one starts (or opens) a direct message.
import { useState, type KeyboardEvent } from 'react';
import type { PersonSummary } from '../../../../shared/protocol';
import { useChatStore, useStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { listKeys } from '../../ui/list-keys';
import { usePeopleSearch } from '../people/use-people-search';
import { sidebarOrder } from '../sidebar/Sidebar';
import { Badge } from '../../ui/Badge';

export function QuickSwitcher({ onClose }: { onClose: () => void }) {
  const store = useChatStore();
  const conversations = useStore((s) => s.conversations);
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const q = query.trim().toLowerCase();
  const matches = sidebarOrder(conversations)
    .filter((c) => c.name.toLowerCase().includes(q))
    .sort(
      (a, b) =>
        Number(!a.name.toLowerCase().startsWith(q)) - Number(!b.name.toLowerCase().startsWith(q)),
    )
    .slice(0, 20);
  // People: asked of the server once typing pauses; those with a dm already shown are left out.
  const { people, problem: peopleProblem } = usePeopleSearch(query);
  const myId = store.me?.user_id;
  const shownPeople = q
    ? people.filter(
        (p) =>
          p.user_id !== myId && !matches.some((c) => c.kind === 'dm' && c.peerId === p.user_id),
      )
    : [];
  const options: ({ kind: 'conversation'; key: string } | { kind: 'person'; p: PersonSummary })[] =
    [
      ...matches.map((c) => ({ kind: 'conversation' as const, key: c.key })),
      ...shownPeople.map((p) => ({ kind: 'person' as const, p })),
    ];
  const chosen = Math.min(index, Math.max(0, options.length - 1));

  function go(option: (typeof options)[number] | undefined) {
    if (!option) return;
    if (option.kind === 'conversation') void store.conversations.open(option.key);
    else void store.conversations.openDirect(option.p.user_id, option.p.displayName);
    onClose();
  }
  function onKey(e: KeyboardEvent) {
    listKeys(e, {
      count: options.length,
      chosen,
      choose: setIndex,
      take: () => go(options[chosen]),
    });
  }
  return (
    <Dialog title="Go to conversation or person" onClose={onClose} className="switcher">
      <input
        role="combobox"
        aria-label="Conversation or person"
        aria-expanded="true"
        aria-controls="switcher-list"
        aria-activedescendant={options[chosen] ? `switch-${chosen}` : undefined}
        value={query}
        data-autofocus
        onChange={(e) => {
          setQuery(e.target.value);
          setIndex(0);
        }}
        onKeyDown={onKey}
      />
      <ul id="switcher-list" role="listbox" aria-label="Conversations">
        {matches.map((c, i) => (
          <li
            key={c.key}
            id={`switch-${i}`}
            role="option"
            aria-selected={i === chosen}
            onClick={() => go(options[i])}
            className={i === chosen ? 'chosen' : ''}
          >
            {c.kind === 'group' ? '#' : ''}
            {c.name}
            {c.unread > 0 && <Badge tone="accent">{c.unread}</Badge>}
          </li>
        ))}
        {shownPeople.length > 0 && (
          <li role="presentation" className="switcher-section hint">
            People
          </li>
        )}
        {shownPeople.map((p, j) => {
          const i = matches.length + j;
          return (
            <li
              key={p.user_id}
              id={`switch-${i}`}
              role="option"
              aria-selected={i === chosen}
              onClick={() => go(options[i])}
              className={i === chosen ? 'chosen' : ''}
            >
              {p.displayName} <span className="hint">@{p.username} · message</span>
            </li>
          );
        })}
        {options.length === 0 && (
          <li className="hint">{q ? 'No conversation or person matches.' : 'Type a name.'}</li>
        )}
      </ul>
      {peopleProblem && (
        <p role="alert" className="form-error">
          Could not look for people: {peopleProblem}
        </p>
      )}
    </Dialog>
  );
}
