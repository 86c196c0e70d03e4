// Ctrl/Cmd+K: type part of a name, arrows to choose, Enter to open.
import { useState, type KeyboardEvent } from 'react';
import { useChatStore, useStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { sidebarOrder } from '../sidebar/Sidebar';

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
  const chosen = Math.min(index, Math.max(0, matches.length - 1));

  function go(key: string | undefined) {
    if (!key) return;
    void store.open(key);
    onClose();
  }
  function onKey(e: KeyboardEvent) {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setIndex(Math.min(chosen + 1, matches.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setIndex(Math.max(chosen - 1, 0));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      go(matches[chosen]?.key);
    }
  }
  return (
    <Dialog title="Go to conversation" onClose={onClose} className="switcher">
      <input
        role="combobox"
        aria-label="Conversation name"
        aria-expanded="true"
        aria-controls="switcher-list"
        aria-activedescendant={matches[chosen] ? `switch-${chosen}` : undefined}
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
            onClick={() => go(c.key)}
            className={i === chosen ? 'chosen' : ''}
          >
            {c.kind === 'group' ? '#' : ''}
            {c.name}
            {c.unread > 0 && <span className="unread">{c.unread}</span>}
          </li>
        ))}
        {matches.length === 0 && <li className="hint">No conversation matches.</li>}
      </ul>
    </Dialog>
  );
}
