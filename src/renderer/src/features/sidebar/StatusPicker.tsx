// Your own status and status text, as others see them.
import { useState, type FormEvent } from 'react';
import type { PresenceStatus } from '../../../../shared/protocol';
import { useChatStore, useStore } from '../../state/use-store';

const STATUSES: { value: PresenceStatus; label: string }[] = [
  { value: 'online', label: 'Online' },
  { value: 'away', label: 'Away' },
  { value: 'busy', label: 'Busy (only direct messages and mentions notify)' },
  { value: 'invisible', label: 'Invisible (shown as offline)' },
];

export function StatusPicker() {
  const store = useChatStore();
  const status = useStore((s) => s.myStatus);
  const savedText = useStore((s) => s.myStatusText);
  const online = useStore((s) => s.status?.state === 'online');
  const [text, setText] = useState<string | null>(null);

  function save(next: PresenceStatus, e?: FormEvent) {
    e?.preventDefault();
    void store.attempt(() => store.accounts.setMyStatus(next, (text ?? savedText).trim()));
  }

  return (
    <form className="status-picker" onSubmit={(e) => save(status, e)}>
      <label htmlFor="my-status">Status</label>
      <select
        id="my-status"
        value={status}
        disabled={!online}
        onChange={(e) => save(e.target.value as PresenceStatus)}
      >
        {STATUSES.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
      <label>
        Status text
        <input
          value={text ?? savedText}
          maxLength={140}
          disabled={!online}
          placeholder="What are you up to?"
          onChange={(e) => setText(e.target.value)}
          onBlur={() => text !== null && text !== savedText && save(status)}
        />
      </label>
    </form>
  );
}
